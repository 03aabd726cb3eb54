"""Write the office's workbook: an empty template, or an export that reads back unchanged."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from sbrflow.domain import vocabulary
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Role
from sbrflow.integrations.crm.cells import formula_safe, share_text
from sbrflow.integrations.crm.columns import CLIENTS, CONTACTS, SHEETS, STRUCTURE_SHEETS, TEAM, Column, SheetSpec

Row = Mapping[str, object] | object  # a ClientRow/ContactRow/TeamMemberRow or a dict with the same field names
_ENUMS = {"kind": ClientKind, "status": ClientStatus, "legal_form": LegalForm}
_ROLE_FIELDS = {role.value: role for role in Role}
_INTRO = (
    "How to fill in this workbook",
    "One row per client on Cliënten, one row per person per client on Contacten (repeat the contact number "
    "for a person who is contact for several clients, with the same personal details), one row per team "
    "member on Medewerkers.",
    "Row 1 holds the headers; Dutch or English headers both work, the order does not matter, and columns "
    "not listed below are reported and skipped. Empty rows are skipped.",
    "Yes/no columns take Ja/Nee, J/N, Yes/No, 1/0 or True/False. Numbers keep their leading zeros when "
    "the cell is text; where Excel dropped them, they are put back.",
)


def _as_dict(row: Row) -> Mapping[str, object]:
    if is_dataclass(row) and not isinstance(row, type):
        return {item.name: getattr(row, item.name) for item in fields(row)}
    return row  # type: ignore[return-value]


def _value(column: Column, row: Mapping[str, object], *, excel: bool, decimal_comma: bool) -> object:
    """The cell for one field, in the words the reader understands (Dutch labels, Ja/Nee)."""
    name = column.field
    if name in _ROLE_FIELDS:
        roles = row.get("roles") or {}
        role = _ROLE_FIELDS[name]
        value = roles.get(role, roles.get(name)) if isinstance(roles, Mapping) else None
        return value or row.get(name) or ""
    value = row.get(name)
    if name == "vat_frequency":
        return vocabulary.frequency_label(Frequency(value) if value else None, row.get("vat_quarter_start_month"))
    if value is None or value == "":
        return "" if column.default is None else vocabulary.bool_label(bool(column.default))
    if name in _ENUMS and not (isinstance(value, StrEnum) and not isinstance(value, _ENUMS[name])):
        return vocabulary.label(_ENUMS[name](value))
    if name == "payroll_frequency":
        return vocabulary.frequency_label(Frequency(value))
    if isinstance(value, StrEnum):  # relation type, address kind, document kind
        return vocabulary.label(value)
    if isinstance(value, bool):
        return vocabulary.bool_label(value)
    if name == "ibans":
        return value if isinstance(value, str) else ", ".join(value)  # type: ignore[arg-type]
    if name == "share_percentage":
        percent = Decimal(str(value))
        if excel and percent >= 1:
            return float(percent)  # a real number, so the office can calculate with it
        text = share_text(percent)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, date):
        return value if excel else value.strftime("%d-%m-%Y")
    return str(value)


def _header(column: Column, english: bool) -> str:
    return column.english if english else column.dutch


def _sheet_rows(spec: SheetSpec, rows: Iterable[Row], *, excel: bool, decimal_comma: bool = False):
    for row in rows:
        mapping = _as_dict(row)
        yield [_value(column, mapping, excel=excel, decimal_comma=decimal_comma) for column in spec.columns]


def write_workbook(
    path: str | Path,
    clients: Iterable[Row] = (),
    contacts: Iterable[Row] = (),
    team: Iterable[Row] = (),
    *,
    english: bool = False,
    explanation: bool = False,
    structure: Mapping[str, Iterable[Row]] | None = None,
) -> Path:
    """Write clients, contacts and team (and the structure sheets given) to an .xlsx workbook read_workbook reads."""
    path = Path(path)
    workbook = openpyxl.Workbook(write_only=True)  # streams rows: 50,000 rows without the whole tree in memory
    bold = Font(bold=True)
    for spec, rows in _sheets(clients, contacts, team, structure):
        rows = list(rows)
        sheet = workbook.create_sheet(spec.english if english else spec.dutch)
        # openpyxl's streaming writer omits <dimension> unless the sheet can say its size; without it
        # every read-only reader (pandas included) parses the whole sheet twice (measured: 50 s vs 29 s).
        size = f"A1:{get_column_letter(len(spec.columns))}{len(rows) + 1}"
        sheet.calculate_dimension = lambda size=size: size
        sheet.freeze_panes = "A2"
        for position, column in enumerate(spec.columns, start=1):
            dimension = sheet.column_dimensions[get_column_letter(position)]
            dimension.width = max(12, len(_header(column, english)) + 2)
            if column.as_text:
                dimension.number_format = "@"  # what the office types here stays text: no lost zeros
        header = []
        for column in spec.columns:
            cell = WriteOnlyCell(sheet, value=_header(column, english))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for values in _sheet_rows(spec, rows, excel=True):
            sheet.append([_date_cell(sheet, value) if isinstance(value, date) else
                          _text_cell(sheet, value) if isinstance(value, str) and value.startswith("=") else value
                          for value in values])
    if explanation:
        _write_explanation(workbook.create_sheet("Uitleg"), english)
    workbook.save(path)
    return path


def _sheets(clients, contacts, team, structure: Mapping[str, Iterable[Row]] | None):
    """The basic sheets always; a structure sheet when given (an export leaves out the empty ones)."""
    yield from ((CLIENTS, clients), (CONTACTS, contacts), (TEAM, team))
    for spec in STRUCTURE_SHEETS:
        if structure is not None and spec.kind in structure:
            yield spec, structure[spec.kind]


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    """A text cell, even when it starts with '=' (openpyxl would otherwise write a live formula)."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _date_cell(sheet, value: date) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "DD-MM-YYYY"
    return cell


def _write_explanation(sheet, english: bool) -> None:
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for width, letter in zip((16, 26, 22, 10, 70, 22), "ABCDEF", strict=True):
        sheet.column_dimensions[letter].width = width
    title = WriteOnlyCell(sheet, value=_INTRO[0])
    title.font = bold
    sheet.append([title])
    for line in _INTRO[1:]:
        sheet.append([line])
    sheet.append([])
    header = []
    for text in ("Blad", "Kolom", "English", "Verplicht", "Uitleg", "Voorbeeld"):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for spec in SHEETS:
        for column in spec.columns:
            explanation = WriteOnlyCell(sheet, value=column.help)
            explanation.alignment = wrap
            sheet.append([
                spec.english if english else spec.dutch, column.dutch, column.english,
                "Ja" if column.required else "Nee", explanation, column.example,
            ])


def write_template(path: str | Path, *, english: bool = False) -> Path:
    """Write an empty workbook with the expected sheets and headers, and an explanation sheet (Uitleg)."""
    return write_workbook(path, english=english, explanation=True,
                          structure={spec.kind: () for spec in STRUCTURE_SHEETS})


def write_csv(
    folder: str | Path,
    clients: Iterable[Row] = (),
    contacts: Iterable[Row] = (),
    team: Iterable[Row] = (),
    *,
    english: bool = False,
    separator: str = ";",
    prefix: str = "",
    structure: Mapping[str, Iterable[Row]] | None = None,
) -> list[Path]:
    """Write [prefix]clienten.csv, contacten.csv and medewerkers.csv (UTF-8 with BOM, so Excel shows accents)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec, rows in _sheets(clients, contacts, team, structure):
        name = spec.english if english else vocabulary.word_key(spec.dutch)
        path = folder / f"{prefix}{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=separator, lineterminator="\r\n")
            writer.writerow([_header(column, english) for column in spec.columns])
            # Dutch Excel reads ';'-files with a decimal comma.
            writer.writerows([formula_safe(value) for value in values]
                             for values in _sheet_rows(spec, rows, excel=False, decimal_comma=separator == ";"))
        written.append(path)
    return written
