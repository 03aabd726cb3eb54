"""The CRM as the seeds describe it, on SQLite and PostgreSQL: statuses, acceptance, werkstop, structure, Wwft."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from sbrflow.domain.acceptance import AcceptanceError
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientStatus, DocumentKind, Frequency, Product, RelationType
from sbrflow.domain.readiness import Reason
from sbrflow.models import (
    Address,
    Client,
    ClientContact,
    ClientDocument,
    ClientStatusChange,
    GeneralAddressee,
    Location,
    Person,
    RelationLink,
    Shareholding,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_import import import_workbook
from sbrflow.tasks.crm_status import (
    AcceptanceIncomplete,
    CrmNotFound,
    change_status,
    register_document,
    set_pseudo_ubo,
    set_work_stop,
    status_report,
)
from sbrflow.tasks.crm_structure import same_address
from sbrflow.tasks.readiness import judge_clients

TODAY = date(2026, 11, 23)
CLIENTS = ["Cliëntnummer", "Naam", "Type", "Klantstatus", "Rechtsvorm", "RSIN", "SBR", "iDEAL"]
CONTACTS = ["Contactnummer", "Achternaam", "E-mail", "Cliëntnummer", "Aandelenbelang %", "Pseudo-UBO",
            "ID-type", "ID-nummer", "ID geverifieerd op"]
TEAM = [["Code", "Naam", "Klantacceptatie goedkeuren", "Centrale administratie"],
        ["AB", "Anna", "Ja", "Nee"], ["CA", "Carla", "Nee", "Ja"], ["PK", "Piet", "Nee", "Nee"]]


def book(path: Path, **sheets: list[list[object]]) -> Path:
    """A workbook with the given sheets (name → rows with the header first)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name.replace("_", " "))
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def office(tmp_path: Path, name: str = "office.xlsx", *, clients=None, contacts=None, **more) -> Path:
    """A holding (1001, Piet 100 %), its work company (1002), a prospect (1003), a bank (9001)."""
    clients = clients if clients is not None else [
        ["1001", "Jansen Holding B.V.", "Klant-Bedrijf", "Klant", "BV", "001000044", "Ja", "Ja"],
        ["1002", "Jansen Bouw B.V.", "Klant-Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja"],
        ["1003", "Hovenier Groen B.V.", "Klant-Bedrijf", "Klantaanvraag", "BV", "123456782", "Ja", "Ja"],
        ["9001", "Rabobank Utrecht", "Relatie-Bedrijf", "Relatie", "Coöperatie", None, None, None],
    ]
    contacts = contacts if contacts is not None else [
        ["C001", "Jansen", "piet@jansen.example", "1001", 100, "Nee", None, None, None],
        ["C002", "Berg", "info@bouw.example", "1002", None, "Nee", None, None, None],
        ["C003", "Groen", "info@groen.example", "1003", 100, "Nee", "paspoort", "NW1", "01-01-2026"],
    ]
    return book(tmp_path / name, Cliënten=[CLIENTS, *clients], Contacten=[CONTACTS, *contacts], Medewerkers=TEAM,
                **more)


def status_of(number: str) -> ClientStatus:
    with unit_of_work() as session:
        return session.scalar(sa.select(Client.status).where(Client.client_number == number))


def log_of(number: str) -> list[tuple]:
    with unit_of_work() as session:
        return [tuple(r) for r in session.execute(
            sa.select(ClientStatusChange.changed_by, ClientStatusChange.from_status, ClientStatusChange.to_status,
                      ClientStatusChange.note).join(Client).where(Client.client_number == number)
            .order_by(ClientStatusChange.id))]


def ids() -> dict[str, int]:
    with unit_of_work() as session:
        return dict(session.execute(sa.select(Client.client_number, Client.id)).all())


def test_every_status_word_and_registration_type_is_imported(db, tmp_path):
    words = ["Suspect", "Prospect", "Klantaanvraag", "Klantacceptatie-concept", "Klantacceptatie-ter goedkeuring",
             "Klantacceptatie-centrale administratie", "Klant", "Geen klant meer", "ex-klant", "Oud-klant",
             "Relatie", "Relaties", "Dienstverlener eigen organisatie", "Dienstverleners eigen organisatie"]
    types = {"Relatie": "Relatie-Bedrijf", "Relaties": "Relatie-Persoon", "Dienstverlener eigen organisatie":
             "Relatie-Bedrijf", "Dienstverleners eigen organisatie": "Relatie-Persoon"}
    rows = [[str(2000 + i), f"Reg {i}", types.get(word, "Klant-Persoon" if i % 2 else "Klant-Bedrijf"), word,
             None, None, None, None] for i, word in enumerate(words)]
    report = import_workbook(office(tmp_path, clients=rows, contacts=[]))
    assert report.ok, report.errors
    with unit_of_work() as session:
        stored = dict(session.execute(sa.select(Client.name, Client.status)).all())
    assert [stored[f"Reg {i}"].value for i in range(len(words))] == [
        "suspect", "prospect", "client_request", "acceptance_draft", "acceptance_review", "acceptance_admin",
        "client", "former_client", "former_client", "former_client", "relation", "relation",
        "own_service_provider", "own_service_provider"]


def test_a_relation_type_with_a_client_status_is_an_error_at_its_cell(db, tmp_path):
    rows = [["9001", "Rabobank", "Relatie-Bedrijf", "Klant", None, None, None, None]]
    report = import_workbook(office(tmp_path, clients=rows, contacts=[]))
    assert not report.written
    (error,) = report.errors
    assert (error.sheet, error.row, error.column, error.value) == ("Cliënten", 2, "Type", "Relatie-Bedrijf")
    assert "Relatie or Dienstverlener eigen organisatie" in error.message


def test_the_import_logs_its_status_changes_as_import_and_a_reimport_logs_nothing(db, tmp_path):
    import_workbook(office(tmp_path))
    import_workbook(office(tmp_path, "again.xlsx"))
    assert log_of("1003") == [("import", None, ClientStatus.CLIENT_REQUEST, None)]
    rows = [["1003", "Hovenier Groen B.V.", "Klant-Bedrijf", "Prospect", "BV", "123456782", "Ja", "Ja"]]
    import_workbook(office(tmp_path, "changed.xlsx", clients=rows, contacts=[]))
    assert log_of("1003")[-1] == ("import", ClientStatus.CLIENT_REQUEST, ClientStatus.PROSPECT, None)


def test_the_acceptance_path_needs_the_permissions_and_logs_every_step(db, tmp_path):
    import_workbook(office(tmp_path))
    change_status("1003", "Klantacceptatie-concept", "PK", note="intake done")
    change_status("1003", "ter goedkeuring", "PK")
    with pytest.raises(AcceptanceError, match="PK may not .* client_approver"):
        change_status("1003", "centrale administratie", "PK")
    change_status("1003", "Klantacceptatie-centrale administratie", "AB", note="approved")
    with pytest.raises(AcceptanceError, match="central_admin"):
        change_status("1003", "Klant", "AB")
    assert status_of("1003") is ClientStatus.ACCEPTANCE_ADMIN
    assert log_of("1003")[1:] == [
        ("PK", ClientStatus.CLIENT_REQUEST, ClientStatus.ACCEPTANCE_DRAFT, "intake done"),
        ("PK", ClientStatus.ACCEPTANCE_DRAFT, ClientStatus.ACCEPTANCE_REVIEW, None),
        ("AB", ClientStatus.ACCEPTANCE_REVIEW, ClientStatus.ACCEPTANCE_ADMIN, "approved")]
    with pytest.raises(CrmNotFound, match="'ZZ'"):
        change_status("1003", "Klant", "ZZ")


def test_acceptance_to_klant_says_what_is_missing_and_succeeds_once_it_is_there(db, tmp_path):
    import_workbook(office(tmp_path))
    for to, by in (("concept", "PK"), ("ter goedkeuring", "PK"), ("centrale administratie", "AB")):
        change_status("1003", to, by)
    with pytest.raises(AcceptanceIncomplete) as caught:
        change_status("1003", "Klant", "CA")
    assert [m.split(":")[0] for m in caught.value.missing] == ["document_missing", "document_missing"]
    assert "engagement letter" in str(caught.value) and "KvK extract" in str(caught.value)
    report = status_report("1003", today=TODAY)
    assert [(d["kind"], d["present"]) for d in report["documents"]] == [("engagement_letter", False),
                                                                        ("kvk_extract", False)]
    register_document("1003", "Opdrachtbevestiging", reference="DMS-1")
    letter = tmp_path / "kvk.pdf"
    letter.write_bytes(b"%PDF-1.4 uittreksel")
    register_document("1003", "KvK-uittreksel", file=letter)
    assert [d["present"] for d in status_report("1003", today=TODAY)["documents"]] == [True, True]
    change_status("1003", "Klant", "CA", note="accepted")
    assert status_of("1003") is ClientStatus.CLIENT and log_of("1003")[-1][0] == "CA"
    with unit_of_work() as session:
        stored = session.scalar(sa.select(ClientDocument).where(ClientDocument.kind == DocumentKind.KVK_EXTRACT))
    assert stored.sha256 and stored.reference.startswith("documents/clients/")


def test_a_werkstop_blocks_planning_with_its_reason_and_lifting_it_unblocks(db, tmp_path, monkeypatch):
    from tests.tasks.test_planning import add_client, cases, plan

    add_client("5", (Product.VAT_RETURN, Frequency.QUARTER))
    set_work_stop("5", reason="facturen onbetaald", since=date(2026, 3, 1))
    plan(TODAY)
    blocked = cases(client="5")
    assert blocked and all(c.state is CaseState.BLOCKED for c in blocked)
    assert blocked[0].blocked_reasons == [{"code": "work_stop", "message": "werkstop since 2026-03-01: facturen onbetaald"}]
    set_work_stop("5", reason=None, lift=True)
    plan(TODAY)
    assert all(c.state is CaseState.WAITING_FOR_RETURN for c in cases(client="5"))


def test_werkstop_and_pseudo_ubo_and_permissions_are_importable(db, tmp_path):
    clients = [["1002", "Jansen Bouw B.V.", "Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja", "Ja", "wanbetaling",
                "01-02-2026"]]
    contacts = [["C002", "Berg", "info@bouw.example", "1002", None, "Ja", "paspoort", "NW2", "01-01-2026"]]
    path = book(tmp_path / "w.xlsx", Cliënten=[[*CLIENTS, "Werkstop", "Werkstop reden", "Werkstop datum"], *clients],
                Contacten=[CONTACTS, *contacts], Medewerkers=TEAM)
    assert import_workbook(path).ok
    with unit_of_work() as session:
        client = session.scalar(sa.select(Client))
        assert (client.work_stop, client.work_stop_reason, client.work_stop_since) == (
            True, "wanbetaling", date(2026, 2, 1))
        assert session.scalar(sa.select(ClientContact.is_pseudo_ubo))
        assert session.scalar(sa.select(TeamMember.client_approver).where(TeamMember.code == "AB"))
        judged = judge_clients(session, today=TODAY, client_ids=[client.id])[client.id]
    assert [p.reason for p in judged] == [Reason.WORK_STOP]  # the pseudo-UBO is identified: no ubo_unknown
    set_pseudo_ubo("1002", "C002", on=False)
    with unit_of_work() as session:
        judged = judge_clients(session, today=TODAY, client_ids=[client.id])[client.id]
    assert Reason.UBO_UNKNOWN in [p.reason for p in judged]


STRUCTURE = dict(
    Relaties_bij_klant=[["Cliëntnummer", "Relatienummer", "Soort relatie"], ["1001", "9001", "Bank"],
                        ["1002", "9001", "huisbank"]],
    Locaties=[["Cliëntnummer", "Locatiecode", "Naam", "Straat", "Huisnummer", "Postcode", "Plaats"],
              ["1002", "L1", "Werkplaats", "Ambachtsweg", "7", "3433pt", "Nieuwegein"]],
    Adressen=[["Cliëntnummer", "Contactnummer", "Soort adres", "Straat", "Huisnummer", "Postcode", "Plaats"],
              ["1001", None, "Bezoekadres", "Dorpsstraat", "12", "3431 BK", "Nieuwegein"],
              ["1002", None, "Postadres", "Dorpsstraat", "12", "3431BK", "Nieuwegein"],
              [None, "C001", "Correspondentieadres", "Dorpsstraat", "12", "3431 bk", "Nieuwegein"],
              ["9001", None, "Postadres", "Croeselaan", "18", "3521 CB", "Utrecht"]],
    Algemene_correspondentie=[["Cliëntnummer", "Naam", "E-mail", "Locatiecode"],
                              ["1002", "De directie", "directie@bouw.example", None],
                              ["1002", "Het secretariaat", None, "L1"]],
    Aandeelhouders=[["Cliëntnummer", "Aandeelhouder", "Aandelenbelang %"], ["1002", "1001", 60]],
    Documenten=[["Cliëntnummer", "Document", "Referentie", "Datum"], ["1001", "Opdrachtbevestiging", "DMS-7", None]],
)


def test_relations_locations_addresses_holdings_and_documents_import_and_reimport_idempotently(db, tmp_path):
    first = import_workbook(office(tmp_path, **STRUCTURE))
    assert first.ok, first.errors
    assert first.counts["relations"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    with unit_of_work() as session:
        links = session.execute(sa.select(RelationLink.relation_type)).scalars().all()
        assert links == [RelationType.BANK, RelationType.BANK]
        location = session.scalar(sa.select(Location))
        assert (location.code, location.name) == ("L1", "Werkplaats")
        assert session.scalar(sa.select(Address.postcode).where(Address.location_id == location.id)) == "3433 PT"
        assert session.scalar(sa.select(sa.func.count()).select_from(Address)) == 5
        assert session.scalar(sa.select(Shareholding.share_percentage)) == Decimal("60")
        general = dict(session.execute(sa.select(GeneralAddressee.name, GeneralAddressee.location_id)).all())
        assert general == {"De directie": None, "Het secretariaat": location.id}
    again = import_workbook(office(tmp_path, "again.xlsx", **STRUCTURE))
    assert again.writes == 0 and again.counts["addresses"]["unchanged"] == 4


def test_a_relation_at_a_client_must_name_a_relation_and_a_bad_postcode_is_an_error_at_its_cell(db, tmp_path):
    bad = dict(STRUCTURE, Relaties_bij_klant=[["Cliëntnummer", "Relatienummer", "Soort relatie"],
                                              ["1001", "1002", "Bank"]])
    bad["Adressen"] = [*STRUCTURE["Adressen"], ["1003", None, "Bezoekadres", "Laan", "1", "1234SS", "Ergens"]]
    report = import_workbook(office(tmp_path, **bad))
    assert not report.written
    found = {(p.sheet, p.row, p.column, p.value): p.message for p in report.errors}
    assert "1002 is not a relation" in found[("Relaties bij klant", 2, "Relatienummer", "1002")]
    assert "not a Dutch postcode" in found[("Adressen", 6, "Postcode", "1234SS")]


def test_same_address_lists_the_others_at_the_address_of_a_client_or_a_contact(db, tmp_path):
    import_workbook(office(tmp_path, **STRUCTURE))
    others = same_address("1001")
    assert [(r["what"], r["number"]) for r in others] == [("client", "1002"), ("contact", "C001")]
    assert [(r["what"], r["number"]) for r in same_address("C001")] == [("client", "1001"), ("client", "1002")]
    assert same_address("9001") == []
    with pytest.raises(CrmNotFound):
        same_address("4242")


def test_a_dga_is_ubo_of_a_work_company_through_the_holding(db, tmp_path):
    import_workbook(office(tmp_path, **STRUCTURE))
    numbers = ids()
    with unit_of_work() as session:
        judged = judge_clients(session, today=TODAY, client_ids=[numbers["1002"]])[numbers["1002"]]
    problems = {p.reason: p.message for p in judged}
    assert problems == {Reason.UBO_NOT_IDENTIFIED: "UBO C001 has no valid identification (Wwft)"}  # 100 % × 60 %
    with unit_of_work() as session:
        session.execute(sa.update(Shareholding).values(share_percentage=20))  # 20 %: below the threshold
        judged = judge_clients(session, today=TODAY, client_ids=[numbers["1002"]])[numbers["1002"]]
    assert [p.reason for p in judged] == [Reason.UBO_UNKNOWN]


def test_half_year_payroll_is_accepted_by_the_import(db, tmp_path):
    path = book(tmp_path / "h.xlsx", Cliënten=[[*CLIENTS, "Aangifte loonheffingen"],
                                               ["1002", "Schip B.V.", "Bedrijf", "Klant", "BV", None, None, None,
                                                "Halfjaar"]])
    assert import_workbook(path).ok
    with unit_of_work() as session:
        assert session.scalar(sa.select(Subscription.frequency)) is Frequency.HALF_YEAR


def cluster_rows(*rows: tuple[str, str | None]) -> list[list[object]]:
    return [[number, f"Client {number}", "Bedrijf", "Klant", "BV", None, None, None, head] for number, head in rows]


def test_a_cluster_deeper_than_one_level_is_refused_with_a_clear_message(db, tmp_path):
    headers = [*CLIENTS, "Clusterhoofd"]
    nested = book(tmp_path / "n.xlsx", Cliënten=[headers, *cluster_rows(("1", "1"), ("2", "1"), ("3", "2"))])
    report = import_workbook(nested)
    assert not report.written
    (error,) = report.errors
    assert (error.row, error.column, error.value) == (4, "Clusterhoofd", "2")
    assert "Client 2 is itself in the cluster of 1" in error.message and "one level deep" in error.message
    # Against sbrflow: 2 is in 1's cluster there; a new file naming 2 as head is refused too.
    assert import_workbook(book(tmp_path / "ok.xlsx", Cliënten=[headers, *cluster_rows(("1", "1"), ("2", "1"))])).ok
    later = import_workbook(book(tmp_path / "l.xlsx", Cliënten=[headers, *cluster_rows(("3", "2"))]), partial=True)
    assert [e.message.split(",")[0] for e in later.errors] == ["Client 2 is itself in the cluster of 1"]
    assert later.counts["clients"]["rejected"] == 1
    # …and the head of a cluster in sbrflow cannot join another cluster.
    joins = import_workbook(book(tmp_path / "j.xlsx", Cliënten=[headers, *cluster_rows(("9", "9"), ("1", "9"))]))
    assert not joins.written and "heads a cluster in sbrflow (e.g. 2)" in joins.errors[0].message


def test_a_head_contact_number_merges_the_registration_and_a_reimport_changes_nothing(db, tmp_path):
    headers = [*CONTACTS, "Functie", "Portaaltoegang", "Hoofdcontactnummer"]
    first = [["C001", "Jansen", "piet@jansen.example", "1001", 100, "Nee", None, None, None, "DGA", "Ja", None],
             ["C777", "Jansen", "p.jansen@bouw.example", "1002", None, "Nee", None, None, None, "directeur", "Ja", None]]
    assert import_workbook(office(tmp_path, contacts=[row[:9] for row in first])).ok  # two registrations of Piet
    merged = [first[0], [*first[1][:-1], "C001"]]
    path = office(tmp_path, "merged.xlsx", contacts=[])
    book(path, Cliënten=[CLIENTS], Contacten=[headers, *merged], Medewerkers=TEAM)
    report = import_workbook(path)
    assert report.ok, report.errors
    with unit_of_work() as session:
        links = session.execute(sa.select(Person.contact_number, Person.email, Client.client_number,
                                          ClientContact.function, ClientContact.portal_access)
                                .join(ClientContact.person).join(ClientContact.client).order_by(Client.client_number)).all()
        assert [tuple(r) for r in links] == [("C001", "piet@jansen.example", "1001", "DGA", True),
                                             ("C001", "piet@jansen.example", "1002", "directeur", True)]
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
        assert session.scalar(sa.select(Person.id).where(Person.contact_number == "C777")) is None
    again = import_workbook(path)
    assert again.ok and again.writes == 0
    old_export = office(tmp_path, "old.xlsx", contacts=[row[:9] for row in first])  # still says C777
    assert import_workbook(old_export).writes == 0
    assert same_address("C777") == []  # the old number still finds the head person


def test_a_head_contact_that_is_nowhere_is_an_error_at_its_cell(db, tmp_path):
    headers = [*CONTACTS, "Hoofdcontactnummer"]
    path = book(tmp_path / "h.xlsx", Cliënten=[CLIENTS], Medewerkers=TEAM, Contacten=[
        headers, ["C777", "Jansen", None, None, None, None, None, None, None, "C404"]])
    report = import_workbook(path)
    (error,) = report.errors
    assert (error.row, error.column, error.value) == (2, "Hoofdcontactnummer", "C404")
    assert "Head contact C404 is neither" in error.message


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_export_holds_the_new_columns_and_sheets_and_reads_back_unchanged(db, tmp_path, suffix):
    from sbrflow.tasks.crm_export import export_crm

    assert import_workbook(office(tmp_path, **STRUCTURE)).ok
    set_work_stop("1002", reason="wanbetaling", since=date(2026, 2, 1))
    set_pseudo_ubo("1002", "C002")
    register_document("1003", "KvK-uittreksel", reference="DMS-9", dated=date(2026, 1, 2))
    summary = export_crm(tmp_path / f"export{suffix}")
    files = [Path(f) for f in summary["files"]]
    again = import_workbook(files[0] if suffix == ".xlsx" else files)
    assert again.ok, again.errors
    assert again.writes == 0, again.counts
    assert set(again.counts) >= {"relations", "locations", "addresses", "shareholdings", "documents"}


def test_a_contact_tied_to_a_location_and_a_location_that_does_not_exist_is_an_error(db, tmp_path):
    headers = [*CONTACTS, "Locatiecode"]
    contacts = [["C002", "Berg", "info@bouw.example", "1002", None, "Nee", None, None, None, "L1"]]
    path = office(tmp_path, **STRUCTURE)
    book(path, Cliënten=[CLIENTS, ["1002", "Jansen Bouw B.V.", "Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja"],
                         ["1001", "Jansen Holding B.V.", "Bedrijf", "Klant", "BV", "001000044", "Ja", "Ja"],
                         ["9001", "Rabobank", "Relatie-Bedrijf", "Relatie", None, None, None, None]],
         Contacten=[headers, *contacts], Medewerkers=TEAM,
         **{k: v for k, v in STRUCTURE.items() if k not in ("Adressen",)})
    report = import_workbook(path)
    assert report.ok, report.errors
    with unit_of_work() as session:
        assert session.scalar(sa.select(ClientContact.location_id)) == session.scalar(sa.select(Location.id))
    assert import_workbook(path).writes == 0
    wrong = book(tmp_path / "w.xlsx", Cliënten=[CLIENTS], Medewerkers=TEAM, Contacten=[
        headers, ["C002", "Berg", "info@bouw.example", "1002", None, "Nee", None, None, None, "L9"]])
    (error,) = import_workbook(wrong).errors
    assert (error.row, error.column, error.value) == (2, "Locatiecode", "L9") and "no location L9" in error.message


def test_an_open_case_shows_a_werkstop_set_after_it_started(db):
    from sbrflow.tasks.cases import list_cases
    from tests.tasks.test_planning import add_client, plan

    add_client("6", (Product.VAT_RETURN, Frequency.QUARTER))
    plan(TODAY)
    set_work_stop("6", reason="dossier incompleet")
    with unit_of_work() as session:
        rows = list_cases(session, client_number="6")
    assert rows and all(r["work_stop"] == "dossier incompleet" for r in rows)
    assert all(r["state"] == "waiting_for_return" for r in rows)  # an open case runs on; it shows the stop


def test_a_contact_at_a_location_is_at_its_address_for_same_address(db, tmp_path):
    headers = [*CONTACTS, "Locatiecode"]
    structure = dict(STRUCTURE, Adressen=[*STRUCTURE["Adressen"],
                                          ["1001", None, "Postadres", "Ambachtsweg", "7", "3433 PT", "Nieuwegein"]])
    path = book(tmp_path / "loc.xlsx", Cliënten=[CLIENTS,
                ["1002", "Jansen Bouw B.V.", "Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja"],
                ["1001", "Jansen Holding B.V.", "Bedrijf", "Klant", "BV", "001000044", "Ja", "Ja"],
                ["9001", "Rabobank", "Relatie-Bedrijf", "Relatie", None, None, None, None]],
                Contacten=[headers, ["C002", "Berg", "info@bouw.example", "1002", None, "Nee", None, None, None, "L1"],
                           ["C001", "Jansen", "piet@jansen.example", "1001", 100, "Nee", None, None, None, None]],
                Medewerkers=TEAM, **structure)
    assert import_workbook(path).ok
    at_holding_post = {(r["what"], r["number"]) for r in same_address("1001")}
    assert {("location", "1002/L1"), ("contact", "C002")} <= at_holding_post
    assert ("client", "1001") in {(r["what"], r["number"]) for r in same_address("C002")}


def test_a_dga_whose_post_goes_to_the_business_address_is_at_that_address(db, tmp_path):
    headers = [*CONTACTS, "Post naar bedrijfsadres"]
    path = office(tmp_path, **STRUCTURE)
    book(path, Cliënten=[CLIENTS, ["1002", "Jansen Bouw B.V.", "Bedrijf", "Klant", "BV", "111222333", "Ja", "Ja"],
                         ["1001", "Jansen Holding B.V.", "Bedrijf", "Klant", "BV", "001000044", "Ja", "Ja"],
                         ["9001", "Rabobank", "Relatie-Bedrijf", "Relatie", None, None, None, None]],
         Contacten=[headers, ["C005", "Vries", "dga@bouw.example", "1002", 100, "Nee", None, None, None, "Ja"],
                    ["C001", "Jansen", "piet@jansen.example", "1001", 100, "Nee", None, None, None, "Nee"]],
         Medewerkers=TEAM, **STRUCTURE)
    assert import_workbook(path).ok
    with unit_of_work() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ClientContact)
                              .where(ClientContact.correspondence_at_client)) == 1
    assert {("client", "1001"), ("client", "1002")} <= {(r["what"], r["number"]) for r in same_address("C005")}
    assert import_workbook(path).writes == 0


def test_the_wwft_identification_records_who_verified_it_and_how(db, tmp_path):
    from sbrflow.tasks.crm_export import export_crm

    headers = [*CONTACTS, "ID geverifieerd door", "ID verificatiemethode"]
    path = book(tmp_path / "id.xlsx", Cliënten=[CLIENTS], Medewerkers=TEAM, Contacten=[
        headers, ["C001", "Jansen", "piet@jansen.example", None, None, None, "paspoort", "NW1", "05-01-2026",
                  "AB", "in persoon"]])
    assert import_workbook(path).ok
    with unit_of_work() as session:
        person = session.scalar(sa.select(Person))
        assert (person.id_verified_by, person.id_verification_method) == ("AB", "in persoon")
    files = export_crm(tmp_path / "out.xlsx")["files"]
    assert import_workbook(files[0]).writes == 0
