"""The CRM import as a Prefect flow: the office's workbook in, a report artifact out."""

from __future__ import annotations

import re

from prefect import flow
from prefect.artifacts import create_table_artifact

from sbrflow.domain.errors import InputError
from sbrflow.flows.matching import match_returns
from sbrflow.flows.outcome import fails_cleanly, run_name
from sbrflow.tasks.crm_import import OUTCOMES, ImportReport, import_crm_workbook

ARTIFACT_KEY = "crm-import-report"


class ImportRejected(InputError):
    """An all-or-nothing import found errors and wrote nothing; the report artifact lists them."""


# An OB-nummer or loonheffingennummer of a person holds their BSN, and a mistyped BSN may sit in any
# column: in the artifact (kept on the Prefect server) every run of 8–9 digits is masked.
_FISCAL_DIGITS = re.compile(r"(?<!\d)\d{4,5}(\d{4})(?!\d)")


def _masked(text: object) -> object:
    return _FISCAL_DIGITS.sub(lambda found: "*" * (len(found.group(0)) - 4) + found.group(1), text) \
        if isinstance(text, str) else text


def report_table(report: ImportReport) -> list[dict[str, object]]:
    """The report as table rows: one summary row per sheet, then every problem (personal data masked)."""
    summary = [{"severity": "summary", "sheet": kind, "row": "", "column": "", "value": "",
                "message": ", ".join(f"{outcome} {counts[outcome]}" for outcome in OUTCOMES)}
               for kind, counts in report.counts.items()]
    problems = [{**row, "value": _masked(row["value"]), "message": _masked(row["message"])} for row in report.rows()]
    return summary + problems


@flow(name="import-crm", flow_run_name=run_name("import-crm", "path"))
@fails_cleanly
def import_crm(path: str, partial: bool = False, dry_run: bool = False) -> dict[str, object]:
    """Import the office's CRM workbook (.xlsx, or a folder of .csv files) and publish the report.

    All or nothing unless `partial`: with any error nothing is written and the run fails; the
    artifact `crm-import-report` lists every problem with sheet, row, column and value.
    The result's `changed_client_ids` are the clients created or updated: the hook for re-trying
    returns that could not be matched before.
    """
    report = import_crm_workbook(path, partial=partial, dry_run=dry_run)
    state = "written" if report.written else "dry run, nothing written" if dry_run else "nothing written"
    create_table_artifact(
        key=ARTIFACT_KEY, table=report_table(report),
        description=f"CRM import of {path}: {state}; {len(report.errors)} errors, "
                    f"{len(report.problems) - len(report.errors)} warnings, "
                    f"{len(report.duplicates)} possible duplicates",
    )
    if not report.ok and not report.written and not dry_run:
        raise ImportRejected(f"The CRM import found {len(report.errors)} errors and wrote nothing; "
                             f"see the artifact {ARTIFACT_KEY}, or import with partial=True.")
    result = {**report.summary(), "changed_client_ids": sorted(report.changed_client_ids)}
    if report.written and report.changed_client_ids:
        # Returns that could not be matched may belong to the clients just fixed: try them again now.
        result["matching"] = match_returns()
    return result
