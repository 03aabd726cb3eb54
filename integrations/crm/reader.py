"""Load the office's workbook (.xlsx, or .csv files) into raw text frames, one per kind of sheet.

Every cell is read as text (dtype=str, keep_default_na=False) so identifiers keep their shape;
the header is read as an ordinary row (header=None) so frame row i is Excel row i + 1, blank
rows included, and duplicate headers are not renamed behind our back.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from sbrflow.domain.vocabulary import word_key
from sbrflow.integrations.crm.columns import EXPLANATION_SHEETS, SheetSpec, spec_for_sheet
from sbrflow.integrations.crm.records import Problem, Severity, WorkbookError

_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_ESCAPED_FORMULA = re.compile("^'[=+\\-@\t\r']")


@dataclass(frozen=True)
class RawSheet:
    """The text of one sheet or CSV file, header row included (frame row 0 = Excel row 1)."""

    spec: SheetSpec
    name: str
    frame: pd.DataFrame


def load_sheets(source: str | Path | Iterable[str | Path]) -> tuple[list[RawSheet], list[Problem]]:
    """Read an .xlsx workbook, a folder of .csv files or a list of .csv files."""
    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(item) for item in source]
    if len(paths) == 1 and paths[0].is_dir():
        paths = sorted(path for path in paths[0].iterdir() if path.suffix.lower() == ".csv")
        if not paths:
            raise WorkbookError(f"The folder {source} holds no .csv files.")
    for path in paths:
        if not path.is_file():
            raise WorkbookError(f"{path} does not exist or is not a file.")
    if len(paths) == 1 and paths[0].suffix.lower() in _EXCEL_SUFFIXES:
        return _pick(_excel_sheets(paths[0]))
    if all(path.suffix.lower() == ".csv" for path in paths):
        return _pick((path.name, _csv_frame(path), True) for path in paths)
    names = ", ".join(path.name for path in paths)
    raise WorkbookError(f"{names}: give one .xlsx workbook, a folder with .csv files, or the .csv files themselves.")


def _pick(sheets: Iterable[tuple[str, pd.DataFrame | Problem, bool]]) -> tuple[list[RawSheet], list[Problem]]:
    """Match sheet names to kinds; report sheets that are not read and kinds found twice."""
    found: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    for name, frame, is_csv in sheets:
        stem = Path(name).stem if is_csv else name
        spec = spec_for_sheet(stem, allow_partial=is_csv)
        if isinstance(frame, Problem):
            problems.append(frame)
        elif spec is None:
            if word_key(stem) not in EXPLANATION_SHEETS:
                problems.append(Problem(
                    Severity.WARNING, name, None, None, None,
                    f"'{name}' is not read: name it Cliënten (clients), Contacten (contacts) or Medewerkers (team).",
                ))
        elif spec.kind in found:
            problems.append(Problem(
                Severity.ERROR, name, None, None, None,
                f"Both '{found[spec.kind].name}' and '{name}' hold {spec.english}; keep one of them.",
            ))
        else:
            found[spec.kind] = RawSheet(spec, name, frame)
    return list(found.values()), problems


# What openpyxl raises for a file that is not a (sound) .xlsx: a damaged zip, missing or malformed parts.
_DAMAGED: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, InvalidFileException, ParseError, KeyError, ValueError, TypeError, OSError,
)
try:  # calamine (Rust) reads a 50,000-row workbook several times faster than openpyxl
    import python_calamine

    _EXCEL_ENGINE = "calamine"
    _DAMAGED += (python_calamine.CalamineError,)
except ImportError:  # pragma: no cover - the dependency is declared; openpyxl still works
    _EXCEL_ENGINE = "openpyxl"


# Before anything is parsed: a tiny hostile file can claim a huge sheet (one cell at XFD1048576 made the
# reader allocate 512 GiB and abort the process) or unpack to gigabytes.
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 256
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]+)(\d+)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\sref="([^"]+)"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the archive (xl/worksheets/sheetN.xml)."""
    from xml.etree import ElementTree

    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in book.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _check_sheet_size(name: str, data: bytes) -> None:
    """Refuse a sheet that says or shows it is bigger than a CRM sheet can be."""
    refs = [ref.decode() for ref in _DIMENSION.findall(data[:4096])]
    rows = [int(row) for row in _ROW_REF.findall(data[-65536:])] + [
        int(r) for ref in refs for r in re.findall(r"\d+", ref)]
    letters = {letters.decode() for letters, _ in _CELL_REF.findall(data)} | {
        part for ref in refs for part in re.findall(r"[A-Z]+", ref)}
    last_row = max(rows, default=0)
    last_column = max((_column_number(letters) for letters in letters), default=0)
    if last_row > MAX_ROWS or last_column > MAX_COLUMNS:
        raise WorkbookError(
            f"The sheet '{name}' reaches row {last_row} and column {last_column}; a CRM sheet may have at most "
            f"{MAX_ROWS} rows and {MAX_COLUMNS} columns. Delete what is beyond your data (select the empty rows "
            "and columns, Delete, save) or copy the data to a new workbook.")


def _formula_problems(name: str, data: bytes, header: list[object]) -> list[Problem]:
    """A formula cell without a calculated value would read as empty (and clear the field): an error per cell."""
    if b"<f" not in data and b":f" not in data:
        return []
    from xml.etree import ElementTree

    problems = []
    for _, cell in ElementTree.iterparse(io.BytesIO(data)):
        if cell.tag != f"{{{_NS['m']}}}c":
            continue
        formula, value = cell.find("m:f", _NS), cell.find("m:v", _NS)
        if formula is not None and (value is None or not (value.text or "")) and cell.find("m:is", _NS) is None:
            ref = cell.get("r", "")
            letters, row = re.match(r"([A-Z]*)(\d*)", ref).groups()
            position = _column_number(letters) - 1 if letters else -1
            column = str(header[position]).strip() if 0 <= position < len(header) else letters
            problems.append(Problem(
                Severity.ERROR, name, int(row) if row else None, column or letters, None,
                f"Cell {ref} holds a formula without a calculated value, so its value is unknown. Open the "
                "workbook in Excel and save it (that stores the values), or paste the values instead of formulas."))
        cell.clear()
    return problems


def _inspect_archive(path: Path) -> dict[str, bytes]:
    """Check the archive's unpacked size and the size of each sheet we read; their XML, by sheet name."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
            if unpacked > MAX_UNCOMPRESSED:
                raise WorkbookError(
                    f"{path.name} unpacks to {unpacked / 2**20:.0f} MiB; a CRM workbook may unpack to at most "
                    f"{MAX_UNCOMPRESSED / 2**20:.0f} MiB (is it the right file?).")
            parts = _sheet_parts(archive)
            sheets = {}
            for name in (name for name in parts if spec_for_sheet(name) is not None):
                if parts[name] in archive.namelist():
                    sheets[name] = archive.read(parts[name])
                    _check_sheet_size(name, sheets[name])
            return sheets
    except (zipfile.BadZipFile, KeyError, ParseError) as error:
        raise WorkbookError(f"{path.name} cannot be opened as an Excel workbook (.xlsx): {error}") from error


def _excel_sheets(path: Path) -> Iterable[tuple[str, pd.DataFrame | Problem, bool]]:
    xml = _inspect_archive(path)
    try:
        workbook = pd.ExcelFile(path, engine=_EXCEL_ENGINE)
    except _DAMAGED as error:
        raise WorkbookError(f"{path.name} cannot be opened as an Excel workbook (.xlsx): {error}") from error
    with workbook:
        for name in workbook.sheet_names:
            # Only the sheets we read are parsed: an office's workbook may hold big unrelated sheets.
            if spec_for_sheet(name) is None:
                yield name, pd.DataFrame(), False
                continue
            try:
                frame = pd.read_excel(workbook, sheet_name=name, header=None, dtype=str, keep_default_na=False)
            except _DAMAGED as error:
                raise WorkbookError(f"The sheet '{name}' in {path.name} cannot be read: {error}") from error
            frame = frame.fillna("")
            header = frame.iloc[0].tolist() if not frame.empty else []
            for problem in _formula_problems(name, xml.get(name, b""), header):
                yield name, problem, False
            yield name, frame, False


def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 with or without BOM, UTF-16 with BOM, otherwise cp1252 (Excel on Windows)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; replace them rather than fail on one odd byte.
        return data.decode("cp1252", errors="replace")


def sniff_separator(text: str) -> str:
    """The separator of the header line: `;` (Dutch Excel), `,` or tab, whichever occurs most."""
    first_line = text.split("\n", 1)[0]
    counts = {separator: 0 for separator in (";", ",", "\t")}
    in_quotes = False
    for char in first_line:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _csv_frame(path: Path) -> pd.DataFrame | Problem:
    text = decode(path.read_bytes())
    separator = sniff_separator(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=separator, header=None, dtype=str, keep_default_na=False,
            skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL, engine="c",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError as error:
        # e.g. "Expected 12 fields in line 40, saw 13": a value with an unquoted separator
        line = re.search(r"line (\d+)", str(error))
        return Problem(
            Severity.ERROR, path.name, int(line.group(1)) if line else None, None, None,
            f"The file cannot be split into columns ({error}). A value probably contains a "
            f"'{separator}' without quotes around it; put the value in double quotes.",
        )
    frame = frame.fillna("")
    # Our CSV export escapes values a spreadsheet would run as formulas (=, +, -, @) with a leading ':
    # take it off again, so that an export reads back exactly.
    escaped = frame.apply(lambda column: column.str.match(_ESCAPED_FORMULA))
    return frame.mask(escaped, frame.apply(lambda column: column.str[1:])) if escaped.any().any() else frame
