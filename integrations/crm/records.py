"""What reading the office's workbook produces: validated rows, problems, open references."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.domain.errors import InputError


class WorkbookError(InputError):
    """The file cannot be read at all (missing, not a workbook, damaged)."""


class Severity(StrEnum):
    """An error keeps the row out; a warning is for the user to look at."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the file, located as the user sees it in Excel (header = row 1)."""

    severity: Severity
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.sheet, self.row and f"row {self.row}", self.column and f"column {self.column}"]
        return f"{self.severity}: {', '.join(str(part) for part in where if part)}: {self.message}"


@dataclass(frozen=True, slots=True)
class Reference:
    """A cell that names a client or team member not in this file: the importer checks the database."""

    sheet: str
    row: int
    column: str
    value: str

    def problem(self, message: str) -> Problem:
        """An error at this cell, e.g. when the database does not know the value either."""
        return Problem(Severity.ERROR, self.sheet, self.row, self.column, self.value, message)


# Rows are frozen (fields cannot be reassigned) and compared by value; `roles` is a dict, so they
# are not hashable. Personal data stays out of repr() so a row can be logged.


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One client from the clients sheet, validated and normalised."""

    sheet: str
    row: int
    client_number: str
    name: str
    kind: ClientKind
    status: ClientStatus
    legal_form: LegalForm | None = None
    rsin: str | None = None
    bsn: str | None = field(default=None, repr=False)
    ob_number: str | None = None
    vat_id: str | None = None
    payroll_tax_number: str | None = None
    kvk_number: str | None = None
    ibans: tuple[str, ...] = ()
    vat_frequency: Frequency | None = None
    vat_quarter_start_month: int | None = None  # 1 = Jan–Mar; 2, 3 = shifted quarters
    payroll_frequency: Frequency | None = None
    roles: Mapping[Role, str] = field(default_factory=dict)  # role → team member code
    sbr_enabled: bool = False
    ideal_enabled: bool = False
    cluster_head: str | None = None  # client number of the cluster head
    billed_to: str | None = None  # client number that receives the invoice
    work_stop: bool = False
    work_stop_reason: str | None = None
    work_stop_since: date | None = None

    @property
    def products(self) -> dict[Product, Frequency]:
        """The returns this client takes, with their filing frequency."""
        taken = {Product.VAT_RETURN: self.vat_frequency, Product.PAYROLL_RETURN: self.payroll_frequency}
        return {product: frequency for product, frequency in taken.items() if frequency is not None}


PERSON_FIELDS = (
    "initials",
    "first_name",
    "name_prefix",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "bsn",
    "id_document_type",
    "id_document_number",
    "id_document_expires_on",
    "id_verified_on",
    "id_verified_by",
    "id_verification_method",
)
"""A person's own fields: the same on every row of one contact number."""


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One contact row: a person and their link to one client (none when client_number is empty)."""

    sheet: str
    row: int
    contact_number: str
    last_name: str
    client_number: str | None = None
    initials: str | None = None
    first_name: str | None = None
    name_prefix: str | None = None  # tussenvoegsel
    email: str | None = None
    phone: str | None = None
    function: str | None = None
    is_primary: bool = False
    portal_access: bool = False
    share_percentage: Decimal | None = None
    date_of_birth: date | None = field(default=None, repr=False)
    bsn: str | None = field(default=None, repr=False)
    id_document_type: str | None = None
    id_document_number: str | None = field(default=None, repr=False)
    id_document_expires_on: date | None = None
    id_verified_on: date | None = None
    id_verified_by: str | None = None
    id_verification_method: str | None = None
    is_pseudo_ubo: bool = False
    location_code: str | None = None  # the client's location where the person works
    correspondence_at_client: bool = False  # post to this client's business address
    head_contact_number: str | None = None  # merge this registration into that person (Hoofdcontactnummer)
    merged_from: str | None = None  # set by the importer: the row's own number, now that it is the head's row


@dataclass(frozen=True, slots=True)
class TeamMemberRow:
    """One team member (medewerker) from the team sheet."""

    sheet: str
    row: int
    code: str
    name: str
    email: str | None = None
    active: bool = True
    client_approver: bool = False
    central_admin: bool = False


@dataclass(frozen=True)
class Layout:
    """Where things are in the file: the sheet (or CSV file) per kind, the header per field."""

    sheets: Mapping[str, str] = field(default_factory=dict)  # "clients"/"contacts"/"team" → name
    headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # kind → field → header

    def sheet(self, kind: str) -> str:
        """The sheet or file name holding this kind of rows."""
        return self.sheets.get(kind, kind)

    def column(self, kind: str, name: str) -> str:
        """The header the user wrote for this field."""
        return self.headers.get(kind, {}).get(name, name)
