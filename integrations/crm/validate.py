"""Turn one raw sheet into parsed columns and cell-level problems.

The work is per distinct value, not per cell: a column is factorised (pandas), each distinct text
is read once, and the results are spread back over the rows with numpy. Status, type and yes/no
columns have a handful of distinct values, so 50,000 rows cost little more than the identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from sbrflow.domain.identifiers import mask_identifier
from sbrflow.domain.vocabulary import word_key
from sbrflow.integrations.crm.columns import Column, SheetSpec
from sbrflow.integrations.crm.reader import RawSheet
from sbrflow.integrations.crm.records import Problem, Severity


@dataclass
class ParsedSheet:
    """One sheet after reading every cell: values per field, rows with errors, problems so far."""

    spec: SheetSpec
    name: str
    headers: dict[str, str]  # field → header as written
    rows: list[int]  # Excel row number of each non-empty row
    values: dict[str, list[object]]  # field → value per row (None where the cell was wrong)
    texts: dict[str, list[str]]  # field → cell text per row, for messages
    bad: set[int] = field(default_factory=set)  # Excel rows with at least one error
    problems: list[Problem] = field(default_factory=list)

    def shown(self, column_field: str, text: str) -> str:
        """The cell text as a problem may show it: personal data masked."""
        column = next(column for column in self.spec.columns if column.field == column_field)
        return mask_identifier(text) if column.personal and text else text

    def error(self, row: int, column_field: str, text: str, message: str) -> None:
        """Record an error at a cell and mark its row as bad; personal data masked in value and message."""
        header = self.headers.get(column_field, column_field)
        shown = self.shown(column_field, text)
        if text and shown != text:
            message = message.replace(text, shown)
        self.problems.append(Problem(Severity.ERROR, self.name, row, header, shown, message))
        self.bad.add(row)

    def warn(self, row: int | None, column_field: str | None, text: str | None, message: str) -> None:
        """Record a warning (the row stays in)."""
        header = self.headers.get(column_field, column_field) if column_field else None
        shown = self.shown(column_field, text) if column_field and text else text
        self.problems.append(Problem(Severity.WARNING, self.name, row, header, shown, message))


def _letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def parse_sheet(raw: RawSheet) -> ParsedSheet:
    """Map headers, drop empty rows, read every cell; problems name sheet, row, column and value."""
    spec, frame = raw.spec, raw.frame
    parsed = ParsedSheet(spec, raw.name, {}, [], {}, {})
    if frame.empty:
        parsed.problems.append(Problem(Severity.WARNING, raw.name, None, None, None, "The sheet is empty."))
        return parsed
    body = frame.iloc[1:].apply(lambda column: column.str.strip())
    mapped = _map_headers(parsed, frame.iloc[0].tolist(), body)
    missing = [column for column in spec.columns if column.required and column.field not in parsed.headers]
    for column in missing:
        parsed.problems.append(Problem(
            Severity.ERROR, raw.name, 1, column.dutch, None,
            f"The column '{column.dutch}' ({column.english}) is missing; every row needs it.",
        ))
    filled = (body != "").any(axis=1).to_numpy()
    rows = (np.flatnonzero(filled) + 2).tolist()  # frame row 1 is Excel row 2
    if missing:
        parsed.rows = rows
        parsed.bad.update(rows)  # nothing in this sheet can be imported
        return parsed
    parsed.rows = rows
    for column in spec.columns:
        if column.field in mapped:
            _read_column(parsed, column, body.iloc[:, mapped[column.field]][filled])
        else:
            parsed.values[column.field] = [column.default] * len(rows)
            parsed.texts[column.field] = [""] * len(rows)
    return parsed


def _map_headers(parsed: ParsedSheet, headers: list[object], body: pd.DataFrame) -> dict[str, int]:
    """field → column position; unknown, unnamed and duplicate headers become problems."""
    mapped: dict[str, int] = {}
    for position, header in enumerate(headers):
        header_text = str(header).strip()
        letter = _letter(position)
        if not header_text:
            if (body.iloc[:, position] != "").any():
                parsed.warn(1, None, None, f"Column {letter} has values but no header; it is not read.")
            continue
        column = parsed.spec.by_key.get(word_key(header_text))
        if column is None:
            known = ", ".join(column.dutch for column in parsed.spec.columns)
            parsed.problems.append(Problem(
                Severity.WARNING, parsed.name, 1, header_text, None,
                f"The column '{header_text}' (column {letter}) is not known and is not read. Known columns: {known}.",
            ))
        elif column.field in mapped:
            first = parsed.headers[column.field]
            parsed.problems.append(Problem(
                Severity.ERROR, parsed.name, 1, header_text, None,
                f"The column '{header_text}' (column {letter}) is the same as '{first}' "
                f"(column {_letter(mapped[column.field])}); keep one of them.",
            ))
        else:
            mapped[column.field] = position
            parsed.headers[column.field] = header_text
    return mapped


# Dates that can only lie in the past (a birth, a verification that took place).
_NOT_IN_THE_FUTURE = frozenset({"date_of_birth", "id_verified_on"})


@cache
def _lengths(kind: str) -> dict[str, int]:
    """Field → the most characters the database column it fills can hold (read from the models)."""
    from sbrflow.domain.enums import Role
    from sbrflow.models import BankAccount, Client, ClientContact, Person, TeamMember
    from sbrflow.models.limits import column_length, text_lengths

    tables = {"clients": (Client,), "contacts": (Person, ClientContact, Client), "team": (TeamMember,)}
    lengths = text_lengths(*tables.get(kind, ()))
    # Fields that name another row hold that row's key.
    references = {"ibans": BankAccount.iban, "cluster_head": Client.client_number, "billed_to": Client.client_number,
                  **{role.value: TeamMember.code for role in Role}}
    for name, target in references.items():
        lengths.setdefault(name, column_length(target))
    return lengths


def _unstorable(column: Column, kind: str, text: str, value: object) -> str | None:
    """Why a cell's text or value cannot be stored (control characters, too long), or None."""
    from sbrflow.models.limits import too_long_or_unstorable

    why = too_long_or_unstorable(text, None)
    if why is None and column.field in _NOT_IN_THE_FUTURE and isinstance(value, date) and value > date.today():
        why = "is a date in the future"  # the date itself is not repeated: a date of birth is personal data
    length = _lengths(kind).get(column.field)
    for item in value if isinstance(value, tuple) else (value,):
        if why is None and isinstance(item, str):
            why = too_long_or_unstorable(item, length)
    return f"'{column.dutch}' {why}." if why else None


def _read_column(parsed: ParsedSheet, column: Column, cells: pd.Series) -> None:
    """Read each distinct cell text once; spread values and errors back over the rows."""
    codes, uniques = pd.factorize(cells, sort=False)
    results: list[object] = []
    failed: dict[int, str] = {}
    for index, text in enumerate(uniques.tolist()):
        if text == "":
            results.append(column.default)
            if column.required:
                failed[index] = f"'{column.dutch}' is empty; every row needs one."
            continue
        try:
            value = column.read(text)
        except ValueError as error:  # InvalidIdentifier and UnknownWord are ValueErrors too
            value, failed[index] = None, str(error)
        else:
            why = _unstorable(column, parsed.spec.kind, text, value)
            if why:
                value, failed[index] = None, why
        results.append(value)
    values = np.empty(len(results), dtype=object)
    for index, result in enumerate(results):  # one by one: numpy would unpack tuples (IBANs)
        values[index] = result
    parsed.values[column.field] = values[codes].tolist()
    texts = cells.tolist()
    parsed.texts[column.field] = texts
    if failed:
        for position in np.flatnonzero(np.isin(codes, list(failed))).tolist():
            text = texts[position]
            parsed.error(parsed.rows[position], column.field, text, failed[codes[position]])
