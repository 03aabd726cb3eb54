"""Export on SQLite and PostgreSQL: filters combine, and what is exported re-imports without a change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sbrflow.domain.errors import SbrflowError
from sbrflow.integrations.crm import read_workbook, write_workbook
from sbrflow.models import Client, ClientContact, Person
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_export import export_crm
from sbrflow.tasks.crm_import import import_workbook
from sbrflow.tasks.demo import demo_workbook_rows


@pytest.fixture
def demo(db, tmp_path):
    report = import_workbook(write_workbook(tmp_path / "demo.xlsx", *demo_workbook_rows()))
    assert report.written and report.ok


def exported_numbers(path) -> list[str]:
    return [client.client_number for client in read_workbook(path).clients]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_export_of_everything_reimports_with_nothing_changed(demo, tmp_path, suffix):
    summary = export_crm(tmp_path / f"export{suffix}")
    assert summary["clients"] == 6 and summary["contacts"] == 5 and summary["team"] == 4
    source = summary["files"][0] if suffix == ".xlsx" else summary["files"]
    report = import_workbook(source)
    assert report.ok, [str(p) for p in report.problems]
    assert report.writes == 0
    assert {kind: counts["unchanged"] for kind, counts in report.counts.items()} == {
        "clients": 6, "contacts": 5, "team": 4}


def test_an_export_reimports_into_an_empty_database_as_the_same_office(demo, tmp_path):
    path = tmp_path / "export.xlsx"
    export_crm(path)
    with unit_of_work() as session:
        session.execute(sa.delete(ClientContact))
        session.execute(sa.delete(Person))
        session.execute(sa.delete(Client))
    report = import_workbook(path)
    assert report.counts["clients"]["created"] == 6 and report.counts["contacts"]["created"] == 5
    with unit_of_work() as session:
        head = session.scalars(sa.select(Client).where(Client.client_number == "1001")).one()
        assert head.is_cluster_head and head.cluster_head_id is None
        assert sorted(m.client_number for m in head.cluster_members) == ["1002", "1003", "1004"]
    export_crm(tmp_path / "again.xlsx")
    assert import_workbook(tmp_path / "again.xlsx").writes == 0


@pytest.mark.parametrize(("filters", "expected"), [
    ({"status": "client"}, ["1001", "1002", "1003", "1004", "1005"]),
    ({"status": "Prospect"}, ["1006"]),
    ({"product": "vat_return"}, ["1001", "1002", "1003", "1005"]),
    ({"product": "payroll_return", "frequency": "four_weekly"}, ["1003"]),
    ({"frequency": "month"}, ["1002"]),
    ({"frequency": "Kwartaal"}, ["1001", "1003"]),
    ({"member": "PK"}, ["1001", "1002", "1003", "1004", "1005", "1006"]),
    ({"member": "PK", "role": "salaris"}, []),
    ({"member": "SM", "role": "salaris", "product": "payroll_return"}, ["1002", "1003"]),
])
def test_export_filters_combine(demo, tmp_path, filters, expected):
    path = tmp_path / "filtered.xlsx"
    summary = export_crm(path, **filters)
    assert exported_numbers(path) == expected and summary["clients"] == len(expected)


def test_an_unknown_filter_word_or_file_type_is_an_error_that_says_so(demo, tmp_path):
    with pytest.raises(SbrflowError, match="Klantje"):
        export_crm(tmp_path / "x.xlsx", status="Klantje")
    with pytest.raises(SbrflowError, match=".xlsx"):
        export_crm(tmp_path / "x.pdf")
