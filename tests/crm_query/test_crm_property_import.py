"""Custom properties and indicators come in as extra workbook columns named as their definition (both databases)."""

from __future__ import annotations

from sbrflow.tasks import crm_properties, crm_query
from sbrflow.tasks.crm_import import import_workbook

from tests.tasks.test_crm_seeds import CLIENTS, CONTACTS, TEAM, book


def _define() -> None:
    from sbrflow.models import TeamMember
    from sbrflow.models.db import unit_of_work
    from sbrflow.tasks import team

    with unit_of_work() as session:
        session.add(TeamMember(code="ADM", name="Admin"))
    team.set_admin("ADM")
    crm_properties.define_property("Branche", kind="choice", target="client", by="ADM", choices=["Bouw", "Horeca"])
    crm_properties.define_property("Lead", kind="indicator", target="client", by="ADM")
    crm_properties.define_property("Hobby", kind="text", target="person", by="ADM")


def _workbook(tmp_path, branche: str = "bouw"):
    clients = [[*CLIENTS, "Branche", "Lead"],
               ["1001", "Jansen Holding B.V.", "Klant-Bedrijf", "Klant", "BV", "001000044", "Ja", "Ja", branche, "Ja"],
               ["1002", "Jansen Bouw B.V.", "Klant-Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja", "", "Nee"]]
    contacts = [[*CONTACTS, "Hobby"],
                ["C001", "Jansen", "piet@jansen.example", "1001", 100, "Nee", None, None, None, "zeilen"]]
    return book(tmp_path / "office.xlsx", Cliënten=clients, Contacten=contacts, Medewerkers=TEAM)


def test_extra_columns_named_as_a_definition_are_imported_and_queryable(db, tmp_path):
    _define()
    report = import_workbook(_workbook(tmp_path))
    assert report.ok and report.written, report.rows()
    assert not any("Branche" in p.message or "Hobby" in p.message for p in report.problems)  # not "unknown column"
    rows = crm_query.run_query(["prop:Branche=Bouw", "indicator=Lead"])["rows"]
    assert [(r["client_number"], r["prop:Branche"], r["indicators"]) for r in rows] == [("1001", "Bouw", "Lead")]
    assert crm_query.run_query(["indicator=Lead"])["count"] == 1  # "Nee" sets nothing
    people = crm_query.run_query(["prop:Hobby~zeil"], subject="persons")["rows"]
    assert [r["contact_number"] for r in people] == ["C001"]
    again = import_workbook(_workbook(tmp_path))
    assert again.ok and crm_query.run_query(["prop:Branche=Bouw"])["count"] == 1


def test_a_bad_value_in_an_extra_column_is_an_error_naming_the_cell_and_nothing_is_written(db, tmp_path):
    _define()
    report = import_workbook(_workbook(tmp_path, branche="Zorg"))
    assert not report.written
    [error] = [p for p in report.errors]
    assert (error.sheet, error.row, error.column, error.value) == ("Cliënten", 2, "Branche", "Zorg")
    assert "'Zorg' is not a choice of Branche; valid: Bouw, Horeca" in error.message
    assert crm_query.run_query(["status=client"])["count"] == 0
