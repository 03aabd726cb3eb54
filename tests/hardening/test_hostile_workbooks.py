"""Hostile CRM files: over-long values, NUL and control characters, formulas — refused at the edge, on both DBs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from sbrflow.integrations.crm.writer import write_workbook
from sbrflow.models import Client, Person, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_import import import_workbook

TEAM = [{"code": "AB", "name": "Anna Bakker", "email": "anna@kantoor.example", "active": True}]


def _client(**changes) -> dict:
    return {"client_number": "1001", "name": "Bakkerij de Vries B.V.", "kind": "company", "status": "client",
            "legal_form": "bv", "rsin": "001000044", "roles": {"fiscaal": "AB"}, **changes}


def _contact(**changes) -> dict:
    return {"contact_number": "5001", "first_name": "Jan", "last_name": "Vries", "client_number": "1001",
            "function": "DGA", "bsn": "111222333", **changes}


def _count(model) -> int:
    with unit_of_work() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def _errors(report) -> list[tuple]:
    return [(p.sheet, p.row, p.column, p.message) for p in report.errors]


@pytest.mark.parametrize(("sheet", "changes", "column", "limit"), [
    ("clients", {"name": "N" * 300}, "Naam", 200),
    ("clients", {"client_number": "9" * 40}, "Cliëntnummer", 32),
    ("clients", {"roles": {"fiscaal": "X" * 30}}, "Fiscaal", 20),
    ("contacts", {"function": "F" * 100}, "Functie", 60),
    ("contacts", {"first_name": "J" * 150}, "Voornaam", 100),
    ("team", {"code": "C" * 30}, "Code", 20),
])
def test_an_over_long_value_is_an_error_naming_sheet_row_and_column_and_nothing_is_written(
        db, tmp_path, sheet, changes, column, limit):
    rows = {"clients": [_client()], "contacts": [_contact()], "team": list(TEAM)}
    rows[sheet] = [{**rows[sheet][0], **changes}]
    path = write_workbook(tmp_path / "office.xlsx", rows["clients"], rows["contacts"], rows["team"])
    report = import_workbook(path)
    assert not report.written
    matching = [e for e in _errors(report) if e[2] == column and f"at most {limit} fit" in e[3]]
    assert matching and matching[0][1] == 2, _errors(report)
    assert _count(Client) == _count(Person) == _count(TeamMember) == 0


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x0b", "\x1f"])
def test_nul_and_control_characters_in_a_csv_are_errors_naming_the_cell(db, tmp_path, character):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "clienten.csv").write_text(
        "Cliëntnummer;Naam;Type;Klantstatus\n"
        f"1001;Bakkerij{character}de Vries;Bedrijf;Klant\n", encoding="utf-8")
    report = import_workbook(folder)
    assert not report.written
    assert [(e[1], e[2]) for e in _errors(report)] == [(2, "Naam")]
    assert f"U+{ord(character):04X}" in _errors(report)[0][3]
    assert _count(Client) == 0


def test_a_value_that_fits_exactly_is_imported_the_same_on_both_databases(db, tmp_path):
    path = write_workbook(tmp_path / "office.xlsx", [_client(name="N" * 200, client_number="9" * 32)],
                          [_contact(client_number="9" * 32, first_name="J" * 100, function="F" * 60)], TEAM)
    report = import_workbook(path)
    assert report.written and not report.errors, _errors(report)
    with unit_of_work() as session:
        assert session.scalar(sa.select(sa.func.length(Client.name))) == 200


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


CLIENT_HEADER = ["Cliëntnummer", "Naam", "Type", "Klantstatus", "Rechtsvorm", "RSIN", "OB-nummer"]


def test_a_formula_without_a_calculated_value_is_an_error_naming_the_cell_and_clears_nothing(db, tmp_path):
    first = _book(tmp_path / "first.xlsx", {"Cliënten": [CLIENT_HEADER, ["1001", "De Vries", "Bedrijf", "Klant", "BV",
                                                                         "001000044", "001000044B37"]]})
    assert import_workbook(first).written
    # openpyxl stores formulas without a cached value, as a script or a web export would.
    again = _book(tmp_path / "again.xlsx", {"Cliënten": [CLIENT_HEADER, ["1001", "De Vries", "Bedrijf", "Klant", "BV",
                                                                         '="001000044"', '=F2&"B37"']]})
    report = import_workbook(again)
    assert not report.written
    errors = [(e[1], e[2]) for e in _errors(report)]
    assert errors == [(2, "RSIN"), (2, "OB-nummer")]
    assert "Cell F2 holds a formula without a calculated value" in _errors(report)[0][3]
    partial = import_workbook(again, partial=True)
    assert partial.writes == 0
    with unit_of_work() as session:
        assert session.execute(sa.select(Client.rsin, Client.ob_number)).one() == ("001000044", "001000044B37")


def test_a_workbook_without_the_contacts_sheet_says_so(db, tmp_path):
    path = _book(tmp_path / "only-clients.xlsx", {"Cliënten": [CLIENT_HEADER, ["1001", "De Vries", "Bedrijf", "Klant",
                                                                               "BV", "001000044", ""]]})
    report = import_workbook(path)
    warnings = [p.message for p in report.problems if p.severity.value == "warning"]
    assert any(w.startswith("There is no Contacten sheet") for w in warnings), warnings


def test_a_tiny_workbook_claiming_a_cell_at_xfd1048576_is_refused_before_it_is_read(db, tmp_path):
    import openpyxl

    from sbrflow.integrations.crm.records import WorkbookError

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cliënten"
    sheet.append(CLIENT_HEADER)
    sheet["XFD1048576"] = "x"
    path = tmp_path / "huge.xlsx"
    book.save(path)
    assert path.stat().st_size < 10_000
    with pytest.raises(WorkbookError, match="reaches row 1048576 and column 16384"):
        import_workbook(path)


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(db, tmp_path, monkeypatch):
    from sbrflow.integrations.crm import reader
    from sbrflow.integrations.crm.records import WorkbookError

    path = write_workbook(tmp_path / "office.xlsx", [_client()], [_contact()], TEAM)
    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED", 4096)
    monkeypatch.setattr(reader.pd, "ExcelFile", lambda *a, **k: pytest.fail("read before the size check"))
    with pytest.raises(WorkbookError, match="unpacks to .* MiB; a CRM workbook may unpack to at most"):
        import_workbook(path)
