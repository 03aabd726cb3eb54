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


def test_a_merged_person_keeps_its_custom_values_on_the_head_and_its_old_number_still_imports_them(db, tmp_path):
    from tests.tasks.test_crm_seeds import CLIENTS as CLIENT_HEADERS

    _define()
    first = [["C001", "Jansen", "piet@jansen.example", "1001", 100, "Nee", None, None, None],
             ["C777", "Jansen", "p.jansen@bouw.example", "1002", None, "Nee", None, None, None]]
    clients = [CLIENT_HEADERS, ["1001", "Jansen Holding B.V.", "Klant-Bedrijf", "Klant", "BV", "001000044", "Ja", "Ja"],
               ["1002", "Jansen Bouw B.V.", "Klant-Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja"]]
    assert import_workbook(book(tmp_path / "a.xlsx", Cliënten=clients, Contacten=[CONTACTS, *first],
                                Medewerkers=TEAM)).ok
    crm_properties.set_value("C777", "Hobby", "zeilen", by="ADM")
    merged = [[*CONTACTS, "Hoofdcontactnummer"], [*first[0], None], [*first[1], "C001"]]
    assert import_workbook(book(tmp_path / "b.xlsx", Cliënten=[CLIENT_HEADERS], Contacten=merged,
                                Medewerkers=TEAM)).ok
    people = crm_query.run_query(["prop:Hobby=zeilen"], subject="persons")["rows"]
    assert {r["contact_number"] for r in people} == {"C001"}
    old_number = [[*CONTACTS, "Hobby"], [*first[1], "fietsen"]]  # an old export still says C777
    assert import_workbook(book(tmp_path / "c.xlsx", Cliënten=[CLIENT_HEADERS], Contacten=old_number,
                                Medewerkers=TEAM)).ok
    assert {r["contact_number"] for r in crm_query.run_query(["prop:Hobby=fietsen"], subject="persons")["rows"]} == {
        "C001"}
