"""Read the office's workbook: load, read every cell, check across rows and sheets, build the rows."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sbrflow.domain.enums import Role
from sbrflow.integrations.crm.checks import check_sheet
from sbrflow.integrations.crm.reader import load_sheets
from sbrflow.integrations.crm.records import (
    ClientRow,
    ContactRow,
    Layout,
    Problem,
    Reference,
    Severity,
    TeamMemberRow,
)
from sbrflow.integrations.crm.references import (
    client_references,
    inactive_member_warnings,
    member_references,
    reject_failed,
)
from sbrflow.integrations.crm.structure import Structure, build_structure
from sbrflow.integrations.crm.validate import ParsedSheet, parse_sheet

_KIND_ORDER = {"clients": 0, "contacts": 1, "team": 2, "relations": 3, "locations": 4, "addresses": 5,
               "general": 6, "shareholdings": 7, "documents": 8}
_ROLES = tuple(Role)
R = TypeVar("R")


@dataclass(frozen=True)
class WorkbookData:
    """Everything read from one workbook: the valid rows, every problem, what only the database can resolve.

    Rows with an error are not in `clients`/`contacts`/`team`; `row_counts` holds the non-empty
    rows per sheet kind, so rejected = row_counts[kind] - number of valid rows.
    """

    clients: tuple[ClientRow, ...] = ()
    contacts: tuple[ContactRow, ...] = ()
    team: tuple[TeamMemberRow, ...] = ()
    problems: tuple[Problem, ...] = ()
    layout: Layout = field(default_factory=Layout)
    row_counts: dict[str, int] = field(default_factory=dict)
    structure: Structure = field(default_factory=Structure)  # relations, locations, addresses, shares, documents

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that keep rows (by default: the whole file) from being imported."""
        return tuple(problem for problem in self.problems if problem.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems the user should look at but that do not block the import."""
        return tuple(problem for problem in self.problems if problem.severity is Severity.WARNING)

    @property
    def has_errors(self) -> bool:
        """True when anything in the file is invalid."""
        return any(problem.severity is Severity.ERROR for problem in self.problems)

    def unresolved_client_refs(self) -> tuple[Reference, ...]:
        """Client numbers in valid rows (a contact's client, cluster head, billed to) not defined in this file."""
        in_file = {client.client_number for client in self.clients}
        return tuple(client_references(self.clients, self.contacts, self.layout, known=in_file))

    def unresolved_member_codes(self) -> tuple[Reference, ...]:
        """Team member codes in the role columns of valid rows that the team sheet does not define."""
        in_file = {member.code for member in self.team}
        return tuple(member_references(self.clients, self.layout, known=in_file))

    def resolve(self, known_client_numbers: Collection[str], known_member_codes: Collection[str]) -> WorkbookData:
        """Reject rows whose references are neither in this file nor known (in sbrflow), with cascades."""
        failed_clients = {
            ref.value: "is neither in this file nor in sbrflow"
            for ref in self.unresolved_client_refs() if ref.value not in known_client_numbers
        }
        failed_members = {
            ref.value: "is neither on the team sheet nor in sbrflow"
            for ref in self.unresolved_member_codes() if ref.value not in known_member_codes
        }
        if not failed_clients and not failed_members:
            return self
        clients, contacts, problems = reject_failed(
            self.clients, self.contacts, failed_clients, failed_members, self.layout
        )
        return WorkbookData(
            tuple(clients), tuple(contacts), self.team, _sorted([*self.problems, *problems], self.layout),
            self.layout, self.row_counts, self.structure,
        )


def read_workbook(source: str | Path | Iterable[str | Path]) -> WorkbookData:
    """Read and validate an .xlsx workbook, a folder of .csv files, or the .csv files themselves."""
    raws, problems = load_sheets(source)
    sheets = {raw.spec.kind: parse_sheet(raw) for raw in raws}
    if not sheets and not any(problem.severity is Severity.ERROR for problem in problems):
        problems.append(Problem(
            Severity.ERROR, None, None, None, None,
            "No sheet with clients, contacts or team members found: name the sheets Cliënten, Contacten "
            "and Medewerkers (or clients, contacts, team).",
        ))
    for sheet in sheets.values():
        # A row the reader found wrong (e.g. a formula without a value) is not imported, also not with --partial.
        sheet.bad.update(p.row for p in problems if p.sheet == sheet.name and p.row and p.row > 1
                         and p.severity is Severity.ERROR and p.row in sheet.rows)
        check_sheet(sheet)
        problems += sheet.problems
    layout = Layout(
        {kind: sheet.name for kind, sheet in sheets.items()},
        {kind: dict(sheet.headers) for kind, sheet in sheets.items()},
    )
    clients = _build(sheets.get("clients"), _client)
    contacts = _build(sheets.get("contacts"), _contact)
    team = _build(sheets.get("team"), _member)
    # References to rows with errors fail here; references to nothing in the file wait for resolve().
    clients, contacts, cascaded = reject_failed(
        clients, contacts, _failed(sheets.get("clients"), "client_number"), _failed(sheets.get("team"), "code"), layout
    )
    problems += cascaded + inactive_member_warnings(clients, team, layout)
    return WorkbookData(
        tuple(clients), tuple(contacts), tuple(team), _sorted(problems, layout), layout,
        {kind: len(sheet.rows) for kind, sheet in sheets.items()}, build_structure(sheets),
    )


def missing_sheet_warnings(data: WorkbookData) -> list[Problem]:
    """A workbook without its Cliënten or Contacten sheet: say so (CSV files are given one by one on purpose)."""
    return [
        Problem(Severity.WARNING, None, None, None, None,
                f"There is no {dutch} sheet ({kind}): no {kind} are imported or changed. Is it named differently? "
                f"Name it {dutch} or {kind}.")
        for kind, dutch in (("clients", "Cliënten"), ("contacts", "Contacten")) if kind not in data.layout.sheets
    ]


def _sorted(problems: Iterable[Problem], layout: Layout) -> tuple[Problem, ...]:
    """File-level problems first, then per sheet (clients, contacts, team) in row order."""
    order = {name: _KIND_ORDER[kind] for kind, name in layout.sheets.items()}
    columns = {
        (layout.sheets[kind], header): position
        for kind, headers in layout.headers.items()
        for position, header in enumerate(headers.values())
    }
    return tuple(sorted(problems, key=lambda p: (
        p.sheet is not None, order.get(p.sheet, -1), p.row or 0, columns.get((p.sheet, p.column), -1),
    )))


def _failed(sheet: ParsedSheet | None, key: str) -> dict[str, str]:
    """Key value → why, for rows with errors: what refers to them is rejected too."""
    if sheet is None or not sheet.values:
        return {}
    failed: dict[str, str] = {}
    for position, row in enumerate(sheet.rows):
        value = sheet.values[key][position]
        if row in sheet.bad and value is not None:
            failed.setdefault(value, f"has errors ({sheet.name} row {row}); fix that row first")
    return failed


def _build(sheet: ParsedSheet | None, make: Callable[[str, int, dict[str, object]], R]) -> list[R]:
    """The rows without errors, as records."""
    if sheet is None or not sheet.values:
        return []
    names = list(sheet.values)
    columns = [sheet.values[name] for name in names]
    return [
        make(sheet.name, row, dict(zip(names, values, strict=True)))
        for row, *values in zip(sheet.rows, *columns, strict=True)
        if row not in sheet.bad
    ]


def _client(sheet: str, row: int, v: dict[str, object]) -> ClientRow:
    roles = {role: code for role in _ROLES if (code := v.pop(role.value)) is not None}
    vat_frequency, quarter_start = v.pop("vat_frequency") or (None, None)
    ibans = v.pop("ibans") or ()
    return ClientRow(
        sheet, row, **v, ibans=ibans, vat_frequency=vat_frequency, vat_quarter_start_month=quarter_start, roles=roles
    )


def _contact(sheet: str, row: int, v: dict[str, object]) -> ContactRow:
    return ContactRow(sheet, row, **v)


def _member(sheet: str, row: int, v: dict[str, object]) -> TeamMemberRow:
    return TeamMemberRow(sheet, row, **v)
