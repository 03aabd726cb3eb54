"""Rules for reading the office's CRM workbook: messy in, clean rows or exact problems out.

Workbooks are built here with openpyxl the way offices make them: numbers as real numeric cells,
Dutch headers, accents and capitals in sheet names, empty rows, trailing spaces, Ja/Nee/1/0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.integrations.crm import (
    ClientRow,
    ContactRow,
    Reference,
    Severity,
    TeamMemberRow,
    WorkbookError,
    read_workbook,
    write_csv,
    write_template,
    write_workbook,
)

E, W = Severity.ERROR, Severity.WARNING
CLIENT_HEADERS = ["Cliëntnummer", "Naam", "Type", "Klantstatus", "Rechtsvorm", "RSIN", "OB-nummer",
                  "Loonheffingennummer", "KvK-nummer", "Aangifte BTW", "Aangifte loonheffingen", "Fiscaal",
                  "Salaris", "SBR", "iDEAL", "Clusterhoofd", "Facturatie aan"]
CONTACT_HEADERS = ["Contactnummer", "Voorletters", "Achternaam", "E-mail", "Telefoon", "Cliëntnummer",
                   "Functie", "Primair contact", "Aandelenbelang %", "Geboortedatum", "BSN"]
TEAM = [["Code", "Naam", "E-mail", "Actief"], ["JDV", "Jeroen de Vos", "j.devos@kantoor.nl", "Ja"],
        ["AB", "Anna Bakker", "", "Nee"]]


def holding(**changes) -> list[object]:
    """A client row as an office types it: RSIN and KvK as numbers, spaces, Ja/1."""
    row = {"Cliëntnummer": 1001, "Naam": "Holding de Vries B.V.  ", "Type": "Bedrijf", "Klantstatus": "Klant",
           "Rechtsvorm": "B.V.", "RSIN": 1000044, "OB-nummer": "nl 0010.00.044.b37",
           "Loonheffingennummer": "001000044L01", "KvK-nummer": 1234567, "Aangifte BTW": "Kwartaal",
           "Aangifte loonheffingen": "4-weken", "Fiscaal": "JDV", "Salaris": "JDV", "SBR": "Ja", "iDEAL": 1,
           "Clusterhoofd": 1001, "Facturatie aan": None}
    row.update(changes)
    return [row[header] for header in CLIENT_HEADERS]


def workmaatschappij(**changes) -> list[object]:
    row = dict(zip(CLIENT_HEADERS, holding(), strict=True))
    row.update({"Cliëntnummer": 1002, "Naam": "Bakkerij de Vries", "RSIN": None, "OB-nummer": None,
                "Loonheffingennummer": None, "KvK-nummer": None, "Aangifte BTW": "Maand",
                "Aangifte loonheffingen": None, "SBR": "Nee", "iDEAL": 0, "Facturatie aan": 1001})
    row.update(changes)
    return [row[header] for header in CLIENT_HEADERS]


def contact(number=5001, client=1001, **changes) -> list[object]:
    row = {"Contactnummer": number, "Voorletters": "J.", "Achternaam": "de Vries ", "E-mail": "Jan@DeVries.nl",
           "Telefoon": 612345678, "Cliëntnummer": client, "Functie": "DGA", "Primair contact": True,
           "Aandelenbelang %": 100, "Geboortedatum": dt.datetime(1970, 5, 1), "BSN": 111222333}
    row.update(changes)
    return [row[header] for header in CONTACT_HEADERS]


def xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def office(tmp_path: Path, clients=None, contacts=None, team=None) -> Path:
    return xlsx(tmp_path / "office.xlsx", {
        "CLIËNTEN": [CLIENT_HEADERS, *(clients if clients is not None else [holding(), workmaatschappij()])],
        "contacten": [CONTACT_HEADERS, *(contacts if contacts is not None else [contact()])],
        "Medewerkers": team if team is not None else TEAM,
    })


def located(data) -> list[tuple]:
    return [(p.severity, p.sheet, p.row, p.column, p.value) for p in data.problems]


def test_a_messy_dutch_workbook_becomes_clean_client_rows(tmp_path):
    data = read_workbook(office(tmp_path))
    assert data.problems == ()
    assert data.clients[0] == ClientRow(
        sheet="CLIËNTEN", row=2, client_number="1001", name="Holding de Vries B.V.", kind=ClientKind.COMPANY,
        status=ClientStatus.CLIENT, legal_form=LegalForm.BV, rsin="001000044", ob_number="001000044B37",
        payroll_tax_number="001000044L01", kvk_number="01234567", vat_frequency=Frequency.QUARTER,
        vat_quarter_start_month=1, payroll_frequency=Frequency.FOUR_WEEKLY,
        roles={Role.FISCAAL: "JDV", Role.SALARIS: "JDV"}, sbr_enabled=True, ideal_enabled=True, cluster_head="1001",
    )
    second = data.clients[1]
    assert (second.client_number, second.sbr_enabled, second.ideal_enabled, second.billed_to) == (
        "1002", False, False, "1001")
    assert second.products == {Product.VAT_RETURN: Frequency.MONTH}


def test_a_contact_row_is_read_with_its_personal_details_and_link(tmp_path):
    data = read_workbook(office(tmp_path))
    assert data.contacts == (ContactRow(
        sheet="contacten", row=2, contact_number="5001", last_name="de Vries", client_number="1001", initials="J.",
        email="jan@devries.nl", phone="0612345678", function="DGA", is_primary=True,
        share_percentage=Decimal("100.00"), date_of_birth=dt.date(1970, 5, 1), bsn="111222333",
    ),)
    assert "111222333" not in repr(data.contacts[0])  # personal data stays out of logs


def test_the_team_sheet_gives_team_members_with_active_defaulting_to_yes(tmp_path):
    team = [["code", "name", "email"], ["JDV", "Jeroen de Vos", "j.devos@kantoor.nl"], ["AB ", "Anna Bakker", ""]]
    data = read_workbook(xlsx(tmp_path / "t.xlsx", {"Team": team}))
    assert data.team == (
        TeamMemberRow("Team", 2, "JDV", "Jeroen de Vos", "j.devos@kantoor.nl", True),
        TeamMemberRow("Team", 3, "AB", "Anna Bakker", None, True),
    )


def test_rows_are_numbered_as_excel_shows_them_and_empty_rows_are_skipped(tmp_path):
    clients = [holding(), [None] * len(CLIENT_HEADERS), ["", " "] + [None] * 15, workmaatschappij(RSIN=123456789)]
    data = read_workbook(office(tmp_path, clients=clients))
    assert located(data) == [(E, "CLIËNTEN", 5, "RSIN", "123456789")]
    assert data.row_counts == {"clients": 2, "contacts": 1, "team": 2}
    assert [client.row for client in data.clients] == [2]


def test_every_invalid_cell_is_reported_with_sheet_row_column_value_and_reason(tmp_path):
    clients = [holding(**{"OB-nummer": "001000044B3", "Klantstatus": "Klantje", "Aangifte BTW": "4-weken",
                          "SBR": "misschien", "KvK-nummer": 123})]
    data = read_workbook(office(tmp_path, clients=clients, contacts=[]))
    assert located(data) == [
        (E, "CLIËNTEN", 2, "Klantstatus", "Klantje"),
        (E, "CLIËNTEN", 2, "OB-nummer", "001000044B3"),
        (E, "CLIËNTEN", 2, "KvK-nummer", "123"),
        (E, "CLIËNTEN", 2, "Aangifte BTW", "4-weken"),
        (E, "CLIËNTEN", 2, "SBR", "misschien"),
    ]
    messages = [problem.message for problem in data.problems]
    assert messages[0].startswith("'Klantje' is not a known client status; use one of: Suspect, Prospect")
    assert messages[1] == ("OB-nummer '001000044B3' is not valid: it needs exactly 2 digits after the B. "
                           "A valid OB-nummer is the RSIN or BSN, the letter B and 2 digits, e.g. 001000044B37.")
    assert "not a filing frequency for VAT returns" in messages[3]
    assert data.clients == ()


def test_an_empty_required_cell_is_an_error(tmp_path):
    data = read_workbook(office(tmp_path, clients=[holding(Naam="  ")], contacts=[]))
    assert located(data) == [(E, "CLIËNTEN", 2, "Naam", "")]
    assert data.problems[0].message == "'Naam' is empty; every row needs one."


def test_english_headers_and_sheet_names_work_too(tmp_path):
    headers = ["client_number", "name", "kind", "status", "legal_form", "rsin", "vat_frequency", "fiscaal"]
    path = xlsx(tmp_path / "en.xlsx", {
        "Clients": [headers, ["C-1", "Acme", "company", "client", "bv", "001000044", "quarter", "JDV"]],
        "team": [["code", "name"], ["JDV", "Jeroen"]],
    })
    data = read_workbook(path)
    assert data.problems == ()
    assert (data.clients[0].client_number, data.clients[0].roles) == ("C-1", {Role.FISCAAL: "JDV"})


def test_an_unknown_column_is_a_warning_and_not_silently_dropped(tmp_path):
    path = xlsx(tmp_path / "x.xlsx", {"Cliënten": [[*CLIENT_HEADERS, "Opmerking"], [*holding(), "belt vaak"]],
                                      "Medewerkers": TEAM})
    data = read_workbook(path)
    assert located(data) == [(W, "Cliënten", 1, "Opmerking", None)]
    assert "'Opmerking' (column R) is not known and is not read" in data.problems[0].message
    assert len(data.clients) == 1


def test_a_missing_required_column_is_an_error_on_the_header_row(tmp_path):
    headers = [header for header in CLIENT_HEADERS if header != "Klantstatus"]
    row = [value for header, value in zip(CLIENT_HEADERS, holding(), strict=True) if header != "Klantstatus"]
    data = read_workbook(xlsx(tmp_path / "x.xlsx", {"Cliënten": [headers, row]}))
    assert located(data) == [(E, "Cliënten", 1, "Klantstatus", None)]
    assert data.clients == () and data.row_counts["clients"] == 1


def test_the_same_column_twice_is_an_error(tmp_path):
    path = xlsx(tmp_path / "x.xlsx", {"Cliënten": [[*CLIENT_HEADERS, "client_number"], [*holding(), 1001]]})
    data = read_workbook(path)
    assert located(data) == [(E, "Cliënten", 1, "client_number", None)]
    assert "the same as 'Cliëntnummer' (column A)" in data.problems[0].message


def test_a_client_number_used_twice_is_an_error_on_both_rows(tmp_path):
    data = read_workbook(office(tmp_path, clients=[holding(), workmaatschappij(**{"Cliëntnummer": "1001 "})],
                                contacts=[]))
    assert located(data) == [(E, "CLIËNTEN", 2, "Cliëntnummer", "1001"), (E, "CLIËNTEN", 3, "Cliëntnummer", "1001")]
    assert data.problems[0].message == "Client number 1001 is also on row 3; each client needs its own number."
    assert data.clients == ()


def test_a_person_linked_to_several_clients_is_one_contact_row_per_client(tmp_path):
    data = read_workbook(office(tmp_path, contacts=[contact(client=1001), contact(client=1002, Functie="Directeur")]))
    assert data.problems == ()
    assert [(c.contact_number, c.client_number, c.function) for c in data.contacts] == [
        ("5001", "1001", "DGA"), ("5001", "1002", "Directeur")]


def test_a_persons_own_details_that_disagree_across_rows_is_an_error_naming_both_rows(tmp_path):
    rows = [contact(client=1001), contact(client=1002, Achternaam="Vries", BSN=111222333)]
    data = read_workbook(office(tmp_path, contacts=rows))
    assert located(data) == [(E, "contacten", 2, "Achternaam", "de Vries"), (E, "contacten", 3, "Achternaam", "Vries")]
    assert data.problems[1].message == (
        "Contact 5001 has Achternaam 'Vries' on this row but 'de Vries' on row 2; a person's own details "
        "must be the same on every row of their contact number.")
    assert data.contacts == ()


def test_a_disagreeing_bsn_is_reported_masked(tmp_path):
    data = read_workbook(office(tmp_path, contacts=[contact(client=1001), contact(client=1002, BSN=1000044)]))
    assert located(data) == [(E, "contacten", 2, "BSN", "*****2333"), (E, "contacten", 3, "BSN", "***0044")]
    assert "111222333" not in str(data.problems) and "1000044" not in str(data.problems)


def test_the_same_person_linked_twice_to_one_client_is_an_error(tmp_path):
    data = read_workbook(office(tmp_path, contacts=[contact(), contact(Functie="Directeur")]))
    assert located(data) == [(E, "contacten", 2, "Contactnummer", "5001"), (E, "contacten", 3, "Contactnummer", "5001")]
    assert data.problems[0].message == ("Contact 5001 is linked to client 1001 again on row 3; "
                                        "link a person to a client once.")


def test_more_than_one_primary_contact_for_a_client_is_a_warning(tmp_path):
    data = read_workbook(office(tmp_path, contacts=[contact(), contact(number=5002, BSN=None, **{"E-mail": None})]))
    assert located(data) == [(W, "contacten", 2, "Primair contact", None), (W, "contacten", 3, "Primair contact", None)]
    assert len(data.contacts) == 2


def test_an_ob_number_that_is_not_built_on_the_clients_rsin_is_a_warning(tmp_path):
    data = read_workbook(office(tmp_path, clients=[holding(**{"OB-nummer": "111222333B01"})], contacts=[]))
    assert located(data) == [(W, "CLIËNTEN", 2, "OB-nummer", "111222333B01")]


def test_references_not_in_the_file_are_left_for_the_database_to_resolve(tmp_path):
    # (The work company is in no cluster: the holding is in 900's, and clusters are one level deep.)
    clients = [holding(Clusterhoofd=900, Fiscaal="ZZ"), workmaatschappij(Clusterhoofd=None, **{"Facturatie aan": 1001})]
    data = read_workbook(office(tmp_path, clients=clients, contacts=[contact(client=777)]))
    assert data.problems == ()
    assert data.unresolved_client_refs() == (
        Reference("CLIËNTEN", 2, "Clusterhoofd", "900"), Reference("contacten", 2, "Cliëntnummer", "777"))
    assert data.unresolved_member_codes() == (Reference("CLIËNTEN", 2, "Fiscaal", "ZZ"),)


def test_resolving_against_the_database_rejects_what_it_does_not_know_and_what_hangs_on_it(tmp_path):
    # The holding is billed to 900 (not in its cluster: clusters are one level deep).
    clients = [holding(Clusterhoofd=1001, **{"Facturatie aan": 900}), workmaatschappij(Clusterhoofd=1001, Fiscaal="ZZ")]
    contacts = [contact(client=1001), contact(number=5002, client=1002, BSN=None, **{"Primair contact": "Nee"})]
    data = read_workbook(office(tmp_path, clients=clients, contacts=contacts))
    assert data.resolve({"900"}, {"ZZ"}) is data  # everything known: nothing changes
    resolved = data.resolve(known_client_numbers=set(), known_member_codes={"ZZ"})
    assert located(resolved) == [
        (E, "CLIËNTEN", 2, "Facturatie aan", "900"),
        (E, "CLIËNTEN", 3, "Clusterhoofd", "1001"),
        (E, "contacten", 2, "Cliëntnummer", "1001"),
        (E, "contacten", 3, "Cliëntnummer", "1002"),
    ]
    assert resolved.problems[0].message == "Client 900 is neither in this file nor in sbrflow."
    assert resolved.problems[1].message == "Client 1001 is rejected (CLIËNTEN row 2); fix that row first."
    assert resolved.clients == () and resolved.contacts == ()


def test_a_reference_to_a_row_with_errors_rejects_the_referring_rows(tmp_path):
    team = [TEAM[0], ["JDV", "Jeroen", "not-an-address", "Ja"]]
    clients = [holding(RSIN=123456789), workmaatschappij(Fiscaal="AB")]
    data = read_workbook(office(tmp_path, clients=clients, team=team + [["AB", "Anna", "", "Ja"]]))
    assert located(data) == [
        (E, "CLIËNTEN", 2, "RSIN", "123456789"),
        (E, "CLIËNTEN", 3, "Clusterhoofd", "1001"),
        (E, "contacten", 2, "Cliëntnummer", "1001"),
        (E, "Medewerkers", 2, "E-mail", "not-an-address"),
    ]
    assert data.problems[1].message == "Client 1001 has errors (CLIËNTEN row 2); fix that row first."


def test_a_role_held_by_an_inactive_team_member_is_a_warning(tmp_path):
    data = read_workbook(office(tmp_path, clients=[holding(Salaris="AB")], contacts=[]))
    assert located(data) == [(W, "CLIËNTEN", 2, "Salaris", "AB")]


def test_a_share_from_a_percent_formatted_cell_or_written_with_a_percent_sign_is_read_as_percent(tmp_path):
    shares = [0.25, "25%", "33,33", "0,5%", 100]
    contacts = [contact(number=5000 + n, BSN=None, **{"Aandelenbelang %": share, "Primair contact": 0})
                for n, share in enumerate(shares)]
    data = read_workbook(office(tmp_path, contacts=contacts))
    assert [c.share_percentage for c in data.contacts] == [
        Decimal("25.00"), Decimal("25.00"), Decimal("33.33"), Decimal("0.50"), Decimal("100.00")]
    bad = read_workbook(office(tmp_path, contacts=[contact(**{"Aandelenbelang %": 120})]))
    assert located(bad) == [(E, "contacten", 2, "Aandelenbelang %", "120")]


def test_dates_are_read_from_date_cells_dutch_text_and_iso_text(tmp_path):
    dates = [dt.datetime(1970, 5, 1), "01-05-1970", "1-5-1970", "1970-05-01", 25689]
    contacts = [contact(number=5000 + n, BSN=None, Geboortedatum=day, **{"Primair contact": 0})
                for n, day in enumerate(dates)]
    data = read_workbook(office(tmp_path, contacts=contacts))
    assert {c.date_of_birth for c in data.contacts} == {dt.date(1970, 5, 1)}
    bad = read_workbook(office(tmp_path, contacts=[contact(Geboortedatum="31-02-1970")]))
    assert [(p.column, p.value, p.message) for p in bad.problems] == [
        ("Geboortedatum", "****1970", "'****1970' is not a date; write it as dd-mm-jjjj, e.g. 01-05-1980")]


def test_a_wrong_date_that_is_not_personal_data_is_shown_as_typed(tmp_path):
    path = xlsx(tmp_path / "x.xlsx", {"Contacten": [["Contactnummer", "Achternaam", "ID geldig tot"],
                                                   [5001, "Vries", "2030-13-01"]]})
    assert located(read_workbook(path)) == [(E, "Contacten", 2, "ID geldig tot", "2030-13-01")]


def write_text(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_a_cp1252_csv_with_semicolons_and_accents_is_read(tmp_path):
    text = ("Cliëntnummer;Naam;Type;Klantstatus;RSIN\r\n"
            "1001;Café ’t Hoekje;Bedrijf;Cliënt;1000044\r\n;;;;\r\n1002;Crème;Persoon;Oud-klant;\r\n")
    write_text(tmp_path / "Cliënten.csv", text, "cp1252")
    data = read_workbook(tmp_path)
    assert data.problems == ()
    assert [(c.sheet, c.row, c.name, c.status, c.rsin) for c in data.clients] == [
        ("Cliënten.csv", 2, "Café ’t Hoekje", ClientStatus.CLIENT, "001000044"),
        ("Cliënten.csv", 4, "Crème", ClientStatus.FORMER_CLIENT, None)]


def test_utf8_csv_files_with_a_bom_and_commas_are_read_by_name(tmp_path):
    clients = write_text(tmp_path / "export-clienten.csv",
                         "client_number,name,kind,status,cluster_head\n1001,Acme,company,client,1001\n", "utf-8-sig")
    contacts = write_text(tmp_path / "contacts.csv",
                          'contact_number,last_name,client_number,email\n5001,"Vries, de",1001,a@b.nl\n', "utf-8")
    data = read_workbook([clients, contacts])
    assert data.problems == ()
    assert data.layout.sheets == {"clients": "export-clienten.csv", "contacts": "contacts.csv"}
    assert data.contacts[0].last_name == "Vries, de"


def test_a_csv_line_with_an_unquoted_separator_is_reported_with_its_line(tmp_path):
    text = "client_number;name;kind;status\n1001;A;company;client\n1002;B;C;company;client\n"
    write_text(tmp_path / "clients.csv", text, "utf-8")
    data = read_workbook(tmp_path)
    assert located(data) == [(E, "clients.csv", 3, None, None)]
    assert "put the value in double quotes" in data.problems[0].message


def test_sheets_that_are_not_read_are_reported_except_the_explanation(tmp_path):
    path = xlsx(tmp_path / "x.xlsx", {"Cliënten": [CLIENT_HEADERS], "Notities": [["x"]], "Uitleg": [["y"]],
                                      "clients": [CLIENT_HEADERS]})
    data = read_workbook(path)
    assert located(data) == [(W, "Notities", None, None, None), (E, "clients", None, None, None)]
    assert data.problems[1].message == "Both 'Cliënten' and 'clients' hold clients; keep one of them."


def test_a_workbook_without_any_known_sheet_is_an_error(tmp_path):
    data = read_workbook(xlsx(tmp_path / "x.xlsx", {"Blad1": [["a"]]}))
    assert [p.severity for p in data.problems] == [E, W]


def test_a_file_that_is_not_a_workbook_cannot_be_read(tmp_path):
    (tmp_path / "x.xlsx").write_text("not a zip")
    with pytest.raises(WorkbookError, match="cannot be opened as an Excel workbook"):
        read_workbook(tmp_path / "x.xlsx")
    with pytest.raises(WorkbookError, match="does not exist"):
        read_workbook(tmp_path / "missing.xlsx")


def test_the_template_has_the_sheets_headers_and_an_explanation_and_reads_back_empty(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Cliënten", "Contacten", "Medewerkers", "Relaties bij klant", "Locaties",
                                   "Adressen", "Algemene correspondentie", "Aandeelhouders", "Documenten", "Uitleg"]
    assert [cell.value for cell in workbook["Cliënten"][1]][:6] == ["Cliëntnummer", "Naam", "Type", "Klantstatus",
                                                                    "Rechtsvorm", "RSIN"]
    assert workbook["Cliënten"].column_dimensions["A"].number_format == "@"
    data = read_workbook(path)
    assert data.problems == () and data.row_counts == {"clients": 0, "contacts": 0, "team": 0, "relations": 0,
                                                       "locations": 0, "addresses": 0, "general": 0,
                                                       "shareholdings": 0,
                                                       "documents": 0}


def messy_office(tmp_path: Path) -> Path:
    clients = [holding(**{"Aangifte BTW": "Kwartaal feb-apr"}),
               workmaatschappij(Type="Persoon", Rechtsvorm="Eenmanszaak")]
    contacts = [contact(), contact(client=1002, Functie=None, **{"Primair contact": "Nee", "Aandelenbelang %": 0.005}),
                contact(number=5002, client=None, BSN=None, Geboortedatum=None, Telefoon="+31 20 1234567",
                        **{"E-mail": None, "Aandelenbelang %": None, "Primair contact": None})]
    return office(tmp_path, clients=clients, contacts=contacts)


@pytest.mark.parametrize("english", [False, True])
def test_an_xlsx_export_reads_back_unchanged(tmp_path, english):
    original = read_workbook(messy_office(tmp_path))
    assert original.problems == ()
    exported = write_workbook(tmp_path / "export.xlsx", original.clients, original.contacts, original.team,
                              english=english)
    again = read_workbook(exported)
    assert again.problems == ()
    strip = lambda rows: [(*vars_of(row)[2:],) for row in rows]  # noqa: E731 - all but sheet and row
    assert strip(again.clients) == strip(original.clients)
    assert strip(again.contacts) == strip(original.contacts)
    assert strip(again.team) == strip(original.team)


def vars_of(row) -> list[object]:
    return [getattr(row, name) for name in row.__dataclass_fields__]


def test_a_csv_export_reads_back_unchanged(tmp_path):
    original = read_workbook(messy_office(tmp_path))
    written = write_csv(tmp_path / "export", original.clients, original.contacts, original.team)
    assert [path.name for path in written] == ["clienten.csv", "contacten.csv", "medewerkers.csv"]
    again = read_workbook(tmp_path / "export")
    assert again.problems == ()
    assert [vars_of(row)[2:] for row in again.clients] == [vars_of(row)[2:] for row in original.clients]
    assert [vars_of(row)[2:] for row in again.contacts] == [vars_of(row)[2:] for row in original.contacts]


def test_an_export_takes_plain_dicts_with_the_same_field_names(tmp_path):
    client = {"client_number": "1", "name": "Acme", "kind": "company", "status": "client", "legal_form": "bv",
              "rsin": "001000044", "vat_frequency": "quarter", "vat_quarter_start_month": 3,
              "roles": {"fiscaal": "JDV"}, "sbr_enabled": True, "ibans": ["NL91ABNA0417164300"]}
    write_workbook(tmp_path / "d.xlsx", [client], [], [{"code": "JDV", "name": "Jeroen", "active": False}])
    data = read_workbook(tmp_path / "d.xlsx")
    assert located(data) == [(W, "Cliënten", 2, "Fiscaal", "JDV")]  # JDV is no longer active
    row = data.clients[0]
    assert (row.legal_form, row.vat_frequency, row.vat_quarter_start_month, row.roles, row.sbr_enabled, row.ibans) == (
        LegalForm.BV, Frequency.QUARTER, 3, {Role.FISCAAL: "JDV"}, True, ("NL91ABNA0417164300",))
    assert data.team[0].active is False


def test_numbers_that_went_through_a_float_in_a_csv_export_get_their_shape_back(tmp_path):
    text = ("Cliëntnummer;Naam;Type;Klantstatus;RSIN;KvK-nummer;Clusterhoofd\n"
            "1001.0;Acme ;Bedrijf;Klant;1000044.0;1234567.0;1001.0\n")
    write_text(tmp_path / "clienten.csv", text, "utf-8")
    data = read_workbook(tmp_path / "clienten.csv")
    assert data.problems == ()
    client = data.clients[0]
    assert (client.client_number, client.name, client.rsin, client.kvk_number, client.cluster_head) == (
        "1001", "Acme", "001000044", "01234567", "1001")


def test_a_tab_separated_utf16_export_is_read(tmp_path):
    write_text(tmp_path / "Medewerkers.csv", "\ufeffCode\tNaam\tActief\nJDV\tJeroen\tONWAAR\n", "utf-16-le")
    data = read_workbook(tmp_path / "Medewerkers.csv")
    assert data.problems == ()
    assert data.team == (TeamMemberRow("Medewerkers.csv", 2, "JDV", "Jeroen", None, False),)


def test_the_english_template_has_the_structure_sheets_and_reads_back_empty(tmp_path):
    path = write_template(tmp_path / "template-en.xlsx", english=True)
    names = openpyxl.load_workbook(path).sheetnames
    assert names[:9] == ["clients", "contacts", "team", "client_relations", "locations", "addresses",
                         "general_addressees", "shareholdings", "documents"]
    data = read_workbook(path)
    assert data.problems == () and set(data.row_counts) >= {"relations", "general", "documents"}
