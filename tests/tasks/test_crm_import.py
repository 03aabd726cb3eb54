"""Rules of the CRM import on SQLite and PostgreSQL: all or nothing, partial, dry run, idempotent upserts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.integrations.crm import Severity, write_csv
from sbrflow.models import BankAccount, Client, ClientContact, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_import import import_workbook

CLIENTS = ["Cliëntnummer", "Naam", "Type", "Klantstatus", "Rechtsvorm", "RSIN", "OB-nummer", "Loonheffingennummer",
           "IBAN", "Aangifte BTW", "Aangifte loonheffingen", "Fiscaal", "Salaris", "SBR", "iDEAL", "Clusterhoofd",
           "Facturatie aan"]
CONTACTS = ["Contactnummer", "Voorletters", "Voornaam", "Achternaam", "E-mail", "Cliëntnummer", "Functie",
            "Primair contact", "Aandelenbelang %", "Geboortedatum", "BSN"]
TEAM = [["Code", "Naam", "E-mail"], ["JDV", "Jeroen de Vos", "j.devos@kantoor.nl"], ["AB", "Anna Bakker", None]]


def client(number=1001, **changes) -> list[object]:
    """A client row typed the messy way: RSIN as an Excel number, dotted lower-case OB-nummer, 1/Ja."""
    row = {"Cliëntnummer": number, "Naam": "Holding de Vries B.V.  ", "Type": "Bedrijf", "Klantstatus": "Klant",
           "Rechtsvorm": "B.V.", "RSIN": 1000044, "OB-nummer": "nl 0010.00.044.b37",
           "Loonheffingennummer": "001000044L01", "IBAN": "nl91 abna 0417 1643 00", "Aangifte BTW": "Kwartaal",
           "Aangifte loonheffingen": "Maand", "Fiscaal": "JDV", "Salaris": "AB", "SBR": "Ja", "iDEAL": 1,
           "Clusterhoofd": 1001, "Facturatie aan": None}
    row.update(changes)
    return [row[h] for h in CLIENTS]


def work_company(number=1002, **changes) -> list[object]:
    base = dict(zip(CLIENTS, client(), strict=True))
    base.update({"Cliëntnummer": number, "Naam": "Bakkerij de Vries", "RSIN": None, "OB-nummer": None,
                 "Loonheffingennummer": None, "IBAN": None, "Aangifte BTW": "maand", "Aangifte loonheffingen": None,
                 "SBR": "nee", "iDEAL": "N", "Facturatie aan": 1001})
    base.update(changes)
    return [base[h] for h in CLIENTS]


def contact(number=5001, client_number=1001, **changes) -> list[object]:
    row = {"Contactnummer": number, "Voorletters": "J.", "Voornaam": "Jan", "Achternaam": "de Vries ",
           "E-mail": "Jan@DeVries.nl", "Cliëntnummer": client_number, "Functie": "DGA", "Primair contact": True,
           "Aandelenbelang %": 100, "Geboortedatum": dt.datetime(1970, 5, 1), "BSN": 111222333}
    row.update(changes)
    return [row[h] for h in CONTACTS]


def workbook(path: Path, clients=None, contacts=None, team=TEAM, client_headers=CLIENTS) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheets = {"Cliënten": [client_headers, *(clients if clients is not None else [client(), [], work_company()])],
              "Contacten": [CONTACTS, *(contacts if contacts is not None else
                                        [contact(), contact(client_number=1002, **{"Aandelenbelang %": None})])]}
    if team is not None:
        sheets["Medewerkers"] = team
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def count(model) -> int:
    with unit_of_work() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def get(model, **key):
    with unit_of_work() as session:
        return session.scalars(sa.select(model).filter_by(**key)).one()


def test_a_messy_workbook_is_imported_completely_and_cleanly(db, tmp_path):
    report = import_workbook(workbook(tmp_path / "office.xlsx"))
    assert report.ok and report.written
    assert report.counts["clients"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report.counts["contacts"]["created"] == 2 and report.counts["team"]["created"] == 2
    head = get(Client, client_number="1001")
    assert (head.name, head.kind, head.status, head.legal_form) == (
        "Holding de Vries B.V.", ClientKind.COMPANY, ClientStatus.CLIENT, LegalForm.BV)
    assert (head.rsin, head.ob_number, head.payroll_tax_number) == ("001000044", "001000044B37", "001000044L01")
    assert head.sbr_enabled and head.ideal_enabled and head.is_cluster_head and head.cluster_head_id is None
    work = get(Client, client_number="1002")
    assert work.cluster_head_id == head.id and work.billed_to_id == head.id and not work.sbr_enabled
    assert get(BankAccount, client_id=head.id).iban == "NL91ABNA0417164300"
    vat = get(Subscription, client_id=head.id, product=Product.VAT_RETURN)
    assert (vat.frequency, vat.quarter_start_month) == (Frequency.QUARTER, 1)
    assert get(Subscription, client_id=head.id, product=Product.PAYROLL_RETURN).frequency is Frequency.MONTH
    with unit_of_work() as session:
        roles = dict(session.execute(sa.select(RoleAssignment.role, TeamMember.code).join(TeamMember)
                                     .where(RoleAssignment.client_id == head.id)).all())
    assert roles == {Role.FISCAAL: "JDV", Role.SALARIS: "AB"}
    person = get(Person, contact_number="5001")
    assert (person.last_name, person.email, person.bsn) == ("de Vries", "jan@devries.nl", "111222333")
    assert person.date_of_birth == dt.date(1970, 5, 1)
    assert count(Person) == 1 and count(ClientContact) == 2
    assert get(ClientContact, client_id=head.id).share_percentage == Decimal("100")


def test_importing_the_same_file_again_writes_nothing(db, tmp_path):
    path = workbook(tmp_path / "office.xlsx")
    import_workbook(path)
    stamp = get(Client, client_number="1001").updated_at
    again = import_workbook(path)
    assert again.writes == 0 and not again.changed_client_ids
    assert {kind: c["unchanged"] for kind, c in again.counts.items()} == {"clients": 2, "contacts": 2, "team": 2}
    assert get(Client, client_number="1001").updated_at == stamp


def test_an_updated_file_updates_the_changed_fields_only(db, tmp_path):
    import_workbook(workbook(tmp_path / "office.xlsx"))
    changed = workbook(tmp_path / "changed.xlsx", clients=[client(Naam="Holding de Vries"), work_company(Fiscaal="AB")],
                       contacts=[contact(**{"E-mail": "jan@nieuw.nl"}),
                                 contact(client_number=1002, **{"E-mail": "jan@nieuw.nl", "Aandelenbelang %": None})])
    report = import_workbook(changed)
    assert report.counts["clients"] == {"created": 0, "updated": 2, "unchanged": 0, "rejected": 0}
    assert report.counts["contacts"]["updated"] == 2 and report.counts["team"]["unchanged"] == 2
    assert get(Client, client_number="1001").name == "Holding de Vries"
    assert get(Person, contact_number="5001").email == "jan@nieuw.nl"
    work = get(Client, client_number="1002")
    assert report.changed_client_ids == {get(Client, client_number="1001").id, work.id}
    with unit_of_work() as session:
        holder = session.scalar(sa.select(TeamMember.code).join(RoleAssignment).where(
            RoleAssignment.client_id == work.id, RoleAssignment.role == Role.FISCAAL))
    assert holder == "AB"


def test_one_error_anywhere_means_nothing_is_written_and_every_error_is_listed(db, tmp_path):
    path = workbook(tmp_path / "office.xlsx", clients=[client(RSIN=1000045), work_company(Klantstatus="Klantje")])
    report = import_workbook(path)
    assert not report.ok and not report.written
    located = {(p.sheet, p.row, p.column) for p in report.errors}
    assert {("Cliënten", 2, "RSIN"), ("Cliënten", 3, "Klantstatus")} <= located
    assert all(p.value and p.message for p in report.errors if p.row and p.row > 1)
    assert count(Client) == count(Person) == count(TeamMember) == 0


def test_partial_writes_the_valid_rows_and_reports_the_rest(db, tmp_path):
    path = workbook(tmp_path / "office.xlsx", clients=[client(), work_company(Klantstatus="Klantje")])
    report = import_workbook(path, partial=True)
    assert report.written and not report.ok
    assert report.counts["clients"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    # the contact row of the rejected client falls with it
    assert report.counts["contacts"]["rejected"] == 1 and report.counts["contacts"]["created"] == 1
    assert [c.client_number for c in [get(Client, client_number="1001")]] == ["1001"]
    assert count(Client) == 1 and count(ClientContact) == 1


def test_a_dry_run_validates_and_counts_but_writes_nothing(db, tmp_path):
    report = import_workbook(workbook(tmp_path / "office.xlsx"), dry_run=True)
    assert report.ok and not report.written and report.writes == 0
    assert report.counts["clients"]["created"] == 2
    assert count(Client) == 0


def test_references_resolve_against_clients_and_team_members_already_in_sbrflow(db, tmp_path):
    import_workbook(workbook(tmp_path / "office.xlsx"))
    later = workbook(tmp_path / "later.xlsx", team=None,
                     clients=[work_company(1003, Clusterhoofd=1001, **{"Facturatie aan": 1002}, Fiscaal="JDV")],
                     contacts=[contact(5002, 1001, **{"E-mail": "piet@devries.nl", "Voornaam": "Piet",
                                                      "Geboortedatum": None, "BSN": None})])
    report = import_workbook(later)
    assert report.ok, [str(p) for p in report.problems]
    third = get(Client, client_number="1003")
    assert third.cluster_head_id == get(Client, client_number="1001").id
    assert third.billed_to_id == get(Client, client_number="1002").id
    assert count(ClientContact) == 3


def test_a_reference_that_resolves_nowhere_is_an_error_naming_the_cell(db, tmp_path):
    path = workbook(tmp_path / "office.xlsx", clients=[client(), work_company(Clusterhoofd=9999, Fiscaal="XYZ")],
                    contacts=[contact(client_number=8888)])
    report = import_workbook(path)
    assert not report.written
    cells = {(p.sheet, p.row, p.column, p.value) for p in report.errors}
    assert ("Cliënten", 3, "Clusterhoofd", "9999") in cells
    assert ("Contacten", 2, "Cliëntnummer", "8888") in cells
    assert any(p.column == "Fiscaal" and p.value == "XYZ" for p in report.errors) or \
        ("Cliënten", 3, "Clusterhoofd", "9999") in cells  # the row falls at its first failed reference


def test_a_new_person_matching_someone_by_email_or_name_and_birth_date_is_imported_and_listed(db, tmp_path):
    import_workbook(workbook(tmp_path / "office.xlsx"))
    path = workbook(tmp_path / "more.xlsx", contacts=[
        contact(5007, 1001, **{"Voorletters": "P.", "Voornaam": "Piet", "Geboortedatum": None, "BSN": None}),
        contact(5008, 1002, **{"E-mail": "other@devries.nl", "Voornaam": None, "BSN": None}),
    ])
    report = import_workbook(path)
    assert report.written and count(Person) == 3
    found = {(d.contact_number, d.matches, d.on) for d in report.duplicates}
    assert found == {("5007", "5001", "e-mail"), ("5008", "5001", "name and date of birth")}
    assert any("5007" in row["message"] and row["severity"] == "warning" for row in report.rows())


def test_a_column_the_file_does_not_have_is_left_alone(db, tmp_path):
    import_workbook(workbook(tmp_path / "office.xlsx"))
    narrow = [h for h in CLIENTS if h not in ("RSIN", "IBAN", "Salaris", "Aangifte loonheffingen")]
    rows = [[value for header, value in zip(CLIENTS, row, strict=True) if header in narrow]
            for row in (client(Naam="Nieuwe naam"), work_company())]
    report = import_workbook(workbook(tmp_path / "narrow.xlsx", clients=rows, client_headers=narrow))
    assert report.counts["clients"]["updated"] == 1 and report.counts["clients"]["unchanged"] == 1
    head = get(Client, client_number="1001")
    assert head.rsin == "001000044" and head.name == "Nieuwe naam"
    assert count(BankAccount) == 1 and count(Subscription) == 3 and count(RoleAssignment) == 4


def test_an_emptied_frequency_role_or_iban_is_removed(db, tmp_path):
    import_workbook(workbook(tmp_path / "office.xlsx"))
    emptied = client(**{"Aangifte loonheffingen": None, "Salaris": None, "IBAN": None})
    report = import_workbook(workbook(tmp_path / "emptied.xlsx", clients=[emptied, work_company()]))
    assert report.counts["clients"]["updated"] == 1 and report.writes == 3
    head = get(Client, client_number="1001")
    with unit_of_work() as session:
        products = set(session.scalars(sa.select(Subscription.product).where(Subscription.client_id == head.id)))
    assert products == {Product.VAT_RETURN}
    assert count(BankAccount) == 0 and count(RoleAssignment) == 3


def test_csv_files_with_semicolons_import_like_the_workbook(db, tmp_path):
    import_workbook(workbook(tmp_path / "office.xlsx"))
    with unit_of_work() as session:
        n = session.scalar(sa.select(sa.func.count()).select_from(Client))
    folder = tmp_path / "csv"
    write_csv(folder, clients=[{"client_number": "2001", "name": "Café Ëlan", "kind": "company", "status": "prospect"}],
              contacts=[{"contact_number": "6001", "last_name": "Öztürk", "client_number": "2001"}])
    report = import_workbook(folder)
    assert report.ok and report.counts["clients"]["created"] == 1
    assert get(Client, client_number="2001").name == "Café Ëlan" and count(Client) == n + 1
    assert not [p for p in report.problems if p.severity is Severity.ERROR]


def test_clients_billed_to_themselves_or_to_each_other_get_their_references(db, tmp_path):
    # 1002 heads its own cluster (clusters are one level deep: it cannot also be in 1001's).
    rows = [client(1001, **{"Facturatie aan": 1001}), work_company(1002, **{"Facturatie aan": 1003}, Clusterhoofd=1002),
            work_company(1003, **{"Facturatie aan": 1002}, Clusterhoofd=1002)]
    report = import_workbook(workbook(tmp_path / "office.xlsx", clients=rows, contacts=[]))
    assert report.ok and report.counts["clients"]["created"] == 3
    ids = {n: get(Client, client_number=n).id for n in ("1001", "1002", "1003")}
    assert get(Client, client_number="1001").billed_to_id == ids["1001"]
    assert get(Client, client_number="1002").billed_to_id == ids["1003"]
    third = get(Client, client_number="1003")
    assert (third.billed_to_id, third.cluster_head_id) == (ids["1002"], ids["1002"])
    assert get(Client, client_number="1002").is_cluster_head
    assert import_workbook(workbook(tmp_path / "again.xlsx", clients=rows, contacts=[])).writes == 0


def test_the_bulk_path_stores_the_same_values_as_plain_inserts(db, tmp_path, monkeypatch):
    from sbrflow.models import bulk

    monkeypatch.setattr(bulk, "COPY_FROM", 1)  # COPY on PostgreSQL even for these few rows
    rows = [client(Naam='Bakkerij "De Korenaar", Zoet;Zout'), work_company()]
    report = import_workbook(workbook(tmp_path / "office.xlsx", clients=rows))
    assert report.ok and report.written
    head = get(Client, client_number="1001")
    assert head.name == 'Bakkerij "De Korenaar", Zoet;Zout' and head.legal_form is LegalForm.BV
    assert head.sbr_enabled and head.is_cluster_head and head.created_at is not None
    person = get(Person, contact_number="5001")
    assert person.date_of_birth == dt.date(1970, 5, 1) and person.name_prefix is None and person.phone is None
    assert get(ClientContact, client_id=head.id).share_percentage == Decimal("100")
    assert get(TeamMember, code="AB").active and get(TeamMember, code="AB").email is None
    assert import_workbook(workbook(tmp_path / "again.xlsx", clients=rows)).writes == 0


def test_two_new_persons_in_one_file_with_one_email_are_both_imported_and_listed(db, tmp_path):
    path = workbook(tmp_path / "office.xlsx", contacts=[
        contact(5001, 1001), contact(5002, 1002, **{"Voornaam": "Piet", "Geboortedatum": None, "BSN": None})])
    report = import_workbook(path)
    assert report.ok and count(Person) == 2
    assert {(d.contact_number, d.matches) for d in report.duplicates} == {("5001", "5002"), ("5002", "5001")}
