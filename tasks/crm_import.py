"""Import the office's CRM workbook: validate everything, then write all of it, the valid part, or nothing.

Default is all-or-nothing: one error anywhere and nothing is written. `partial` writes the valid
clients, contacts and team members and reports the rest; `dry_run` only validates and counts.
Upserts are keyed on client number, contact number and team code and compare before writing, so
importing the same file again writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from prefect import task

from sbrflow.integrations.crm import Problem, Severity, WorkbookData, read_workbook
from sbrflow.integrations.crm.workbook import missing_sheet_warnings
from sbrflow.models import Client, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_apply import apply
from sbrflow.tasks.crm_duplicates import PossibleDuplicate
from sbrflow.tasks.crm_merge import merge_persons, resolve_head_contacts
from sbrflow.tasks.crm_properties import property_columns, write_property_columns
from sbrflow.tasks.crm_store import chunks, plan_changes
from sbrflow.tasks.crm_structure import check_cluster_depth, resolve_structure, sync_structure
from sbrflow.tasks.locks import exclusive

SHEETS = ("clients", "contacts", "team")
OUTCOMES = ("created", "updated", "unchanged", "rejected")


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did: counts per sheet, every problem, possible duplicates."""

    source: str
    partial: bool
    dry_run: bool
    written: bool  # False for a dry run and for an all-or-nothing import with errors
    counts: dict[str, dict[str, int]]  # sheet kind → created/updated/unchanged/rejected
    problems: tuple[Problem, ...]
    duplicates: tuple[PossibleDuplicate, ...] = ()
    writes: int = 0  # rows inserted, updated or deleted (0 when nothing changed or nothing written)
    # Clients created or updated: matching re-tries its unmatched returns for these (hook, see flows/crm.py).
    changed_client_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that keep rows out."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def ok(self) -> bool:
        """True when the file had no errors at all."""
        return not self.errors

    def rows(self) -> list[dict[str, object]]:
        """Problems and possible duplicates as table rows (personal data already masked)."""
        problems = [*self.problems, *(duplicate.problem() for duplicate in self.duplicates)]
        return [{"severity": p.severity.value, "sheet": p.sheet or "", "row": p.row or "", "column": p.column or "",
                 "value": p.value or "", "message": p.message} for p in problems]

    def summary(self) -> dict[str, object]:
        """A small dict for logs, flow results and JSON output."""
        return {"source": self.source, "written": self.written, "dry_run": self.dry_run, "partial": self.partial,
                "errors": len(self.errors), "warnings": len(self.problems) - len(self.errors),
                "possible_duplicates": len(self.duplicates), "writes": self.writes, "counts": self.counts}


def _known(session, column, values: Iterable[str]) -> set[str]:
    return {value for chunk in chunks(set(values)) for value in session.scalars(sa.select(column).where(column.in_(chunk)))}


def _counts(data: WorkbookData, planned: dict) -> dict[str, dict[str, int]]:
    valid = {"clients": len(data.clients), "contacts": len(data.contacts), "team": len(data.team)}
    counts = {}
    for kind in SHEETS:
        counts[kind] = {outcome: planned[kind][outcome] for outcome in OUTCOMES[:3]}
        counts[kind]["rejected"] = data.row_counts.get(kind, 0) - valid[kind]
    return counts


def import_workbook(source: str | Path | Iterable[str | Path], *, partial: bool = False,
                    dry_run: bool = False) -> ImportReport:
    """Read, validate, resolve references against the database, and write (see module docstring)."""
    data = read_workbook(source)
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() in (".xlsx", ".xlsm") and data.layout.sheets:
        data = replace(data, problems=(*missing_sheet_warnings(data), *data.problems))
    name = str(source) if isinstance(source, (str, Path)) else ", ".join(str(s) for s in source)
    # One writing import at a time: a second waits for the first, then compares against what it wrote.
    lock = nullcontext() if dry_run else exclusive("crm-import", what="the CRM import")
    with lock, unit_of_work() as session:
        known_clients = _known(session, Client.client_number, (r.value for r in data.unresolved_client_refs()))
        known_members = _known(session, TeamMember.code, (r.value for r in data.unresolved_member_codes()))
        data = data.resolve(known_clients, known_members)
        data = check_cluster_depth(session, data)
        data, merges = resolve_head_contacts(session, data)
        data = resolve_structure(session, data)
        plan = plan_changes(session, data)
        # Extra columns named as a custom property or indicator (crm define): checked with the rest.
        extra_problems, extra_values, extra_columns = property_columns(session, source)
        data = replace(data, problems=(*(p for p in data.problems if (p.sheet, p.column) not in extra_columns),
                                       *extra_problems))
        write = not dry_run and (partial or not (data.has_errors or extra_problems))
        changed = apply(session, plan) if write and plan.writes else set()
        structure_counts, structure_writes = sync_structure(session, data, write=write)
        structure_writes += merge_persons(session, merges, write=write)
        structure_writes += write_property_columns(session, extra_values) if write else 0
        if not write:
            session.rollback()  # nothing was written; be explicit that nothing will be
    return ImportReport(
        source=name, partial=partial, dry_run=dry_run, written=write,
        counts=_counts(data, plan.counts) | structure_counts,
        problems=data.problems, duplicates=tuple(plan.duplicates),
        writes=(plan.writes + structure_writes) if write else 0,
        changed_client_ids=frozenset(changed),
    )


@task(name="import-crm-workbook")
def import_crm_workbook(path: str, partial: bool = False, dry_run: bool = False) -> ImportReport:
    """Import the office's CRM workbook (.xlsx, a folder of .csv files, or one .csv file) into sbrflow."""
    return import_workbook(path, partial=partial, dry_run=dry_run)
