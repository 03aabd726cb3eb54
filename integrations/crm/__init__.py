"""The office's CRM workbook (.xlsx or .csv): read and validate it, write templates and exports.

The only place sbrflow uses pandas. Reading is pure (no database): the importer takes the valid
rows from `read_workbook`, checks `unresolved_client_refs()` / `unresolved_member_codes()` against
the database (or calls `resolve`), and writes.
"""

from sbrflow.integrations.crm.records import (
    PERSON_FIELDS,
    ClientRow,
    ContactRow,
    Layout,
    Problem,
    Reference,
    Severity,
    TeamMemberRow,
    WorkbookError,
)
from sbrflow.integrations.crm.workbook import WorkbookData, read_workbook
from sbrflow.integrations.crm.writer import write_csv, write_template, write_workbook

__all__ = [
    "PERSON_FIELDS",
    "ClientRow",
    "ContactRow",
    "Layout",
    "Problem",
    "Reference",
    "Severity",
    "TeamMemberRow",
    "WorkbookData",
    "WorkbookError",
    "read_workbook",
    "write_csv",
    "write_template",
    "write_workbook",
]
