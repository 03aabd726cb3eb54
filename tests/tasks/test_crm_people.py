"""Notes, follow-ups, duplicate warnings, merging and deleting persons: the task layer on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sbrflow.domain.enums import AddressKind, ClientKind, ClientStatus, LegalForm
from sbrflow.models import (
    Address,
    ApprovalRequest,
    Base,
    Client,
    ClientContact,
    CrmNote,
    FollowUp,
    Person,
    PersonAlias,
    Shareholding,
    TeamMember,
)
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import AuditEvent
from sbrflow.models.messages import Message
from sbrflow.models.team import TeamAccount
from sbrflow.tasks import crm_followups, crm_notes, crm_persons
from sbrflow.tasks.crm_owners import CrmPeopleNotFound, CrmPeopleRefused
from sbrflow.tasks.crm_persons import PossibleDuplicates

BSN = "111222333"
OTHER_BSN = "123456782"
BORN = date(1980, 5, 1)


def _office() -> dict[str, int]:
    """Members AD (admin), BO; client 1001 (active, contacts 5001 and 5002), 1002 (former; only 5002)."""
    with unit_of_work() as session:
        ad = TeamMember(code="AD", name="Ada Admin")
        bo = TeamMember(code="BO", name="Bob")
        active = Client(client_number="1001", kind=ClientKind.COMPANY, name="Bakkerij B.V.",
                        status=ClientStatus.CLIENT, legal_form=LegalForm.BV)
        former = Client(client_number="1002", kind=ClientKind.COMPANY, name="Oud B.V.",
                        status=ClientStatus.FORMER_CLIENT)
        jan = Person(contact_number="5001", first_name="Jan", last_name="Vries", name_prefix="de",
                     email="jan@bakkerij.example", bsn=BSN, date_of_birth=BORN)
        piet = Person(contact_number="5002", first_name="Piet", last_name="Smit", email="piet@example.nl")
        session.add_all([ad, bo, active, former, jan, piet])
        session.flush()
        session.add_all([TeamAccount(team_member_id=ad.id, is_admin=True),
                         TeamAccount(team_member_id=bo.id, is_admin=False),
                         ClientContact(client_id=active.id, person_id=jan.id, function="DGA", is_primary=True),
                         ClientContact(client_id=active.id, person_id=piet.id, function="administratie"),
                         ClientContact(client_id=former.id, person_id=piet.id, function="directeur")])
        return {"1001": active.id, "1002": former.id, "5001": jan.id, "5002": piet.id}


# ---------------------------------------------------------------- notes

def test_notes_come_pinned_first_then_newest_with_author_and_time(db):
    _office()
    t0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
    first = crm_notes.add_note(client="1001", title="Bel na 10 uur", text="Eigenaar is 's ochtends weg", by="AD",
                               now=t0)
    second = crm_notes.add_note(client="1001", title="Nieuwe boekhouder", text="Per januari", by="BO",
                                now=t0 + timedelta(hours=1))
    pinned = crm_notes.add_note(client="1001", title="Betaalt laat", text="Altijd herinneren", priority_="hoog",
                                pinned=True, by="AD", now=t0)
    listed = crm_notes.list_notes(client="1001")
    assert [n["id"] for n in listed] == [pinned["id"], second["id"], first["id"]]
    assert listed[0]["priority"] == "high" and listed[0]["author"] == "AD"
    assert listed[1]["created_at"].startswith("2026-11-01T10:00")
    assert listed[0]["about"] == {"kind": "client", "number": "1001", "name": "Bakkerij B.V."}
    assert crm_notes.list_notes(person="5001") == []


def test_editing_a_note_keeps_every_earlier_version(db):
    _office()
    note = crm_notes.add_note(person="5001", title="ID verlopen", text="Paspoort verloopt in maart", by="AD")
    edited = crm_notes.edit_note(note["id"], by="BO", text="Nieuw paspoort gezien", pinned=True)
    assert edited["changed"] == ["pinned", "text"] and edited["version"] == 2 and edited["updated_by"] == "BO"
    assert crm_notes.edit_note(note["id"], by="BO", pinned=True)["changed"] == []  # nothing new: no version
    shown = crm_notes.show_note(note["id"])
    assert shown["text"] == "Nieuw paspoort gezien" and shown["author"] == "AD"
    assert [(v["version"], v["text"], v["saved_by"], v["pinned"]) for v in shown["history"]] == [
        (1, "Paspoort verloopt in maart", "AD", False), (2, "Nieuw paspoort gezien", "BO", True)]


def test_a_bad_note_says_what_to_fix(db):
    _office()
    with pytest.raises(CrmPeopleRefused, match="priority 'urgent' is not valid; valid are: low, normal, high"):
        crm_notes.add_note(client="1001", title="x", text="y", priority_="urgent", by="AD")
    with pytest.raises(CrmPeopleRefused, match="title is empty"):
        crm_notes.add_note(client="1001", title=" ", text="y", by="AD")
    with pytest.raises(CrmPeopleRefused, match="exactly one of a client"):
        crm_notes.add_note(client="1001", person="5001", title="x", text="y", by="AD")
    with pytest.raises(CrmPeopleNotFound, match="no client with number '9999'"):
        crm_notes.add_note(client="9999", title="x", text="y", by="AD")
    with pytest.raises(CrmPeopleNotFound, match="no note with id 4242"):
        crm_notes.edit_note(4242, by="AD", text="z")
    with pytest.raises(CrmPeopleRefused, match="nothing to change"):
        crm_notes.edit_note(1, by="AD")


def test_only_notes_marked_for_cases_of_the_client_and_its_contacts_show_on_its_cases(db):
    _office()
    on_client = crm_notes.add_note(client="1001", title="Let op btw", text="Verlegd", show_in_cases=True, by="AD")
    crm_notes.add_note(client="1001", title="Intern", text="Niet bij zaken", by="AD")
    on_contact = crm_notes.add_note(person="5002", title="Piet belt", text="Vraag naar Piet", show_in_cases=True,
                                    by="AD")
    assert {n["id"] for n in crm_notes.notes_for_cases("1001")} == {on_client["id"], on_contact["id"]}
    assert [n["id"] for n in crm_notes.notes_for_cases("1002")] == [on_contact["id"]]


# ---------------------------------------------------------------- follow-ups

def test_a_follow_up_appears_in_the_work_list_on_its_date_and_stays_until_done(db):
    _office()
    item = crm_followups.add_follow_up(client="1001", title="Bel over jaarrekening", on="2026-12-03", at="09:30",
                                       to="BO", by="AD")
    crm_followups.add_follow_up(person="5001", title="ID opvragen", on="2026-12-01", to="AD", by="AD")
    assert crm_followups.follow_ups_due("BO", date(2026, 12, 2)) == []
    (due,) = crm_followups.follow_ups_due("BO", date(2026, 12, 3))
    assert due["kind"] == "follow_up" and due["follow_up_id"] == item["follow_up_id"]
    assert due["due_time"] == "09:30" and due["days_overdue"] == 0 and due["about"]["number"] == "1001"
    assert crm_followups.follow_ups_due("BO", date(2026, 12, 10))[0]["days_overdue"] == 7  # after: still there
    assert [f["title"] for f in crm_followups.list_follow_ups(member_code="BO")] == ["Bel over jaarrekening"]
    crm_followups.mark_done(item["follow_up_id"], by="BO")
    assert crm_followups.follow_ups_due("BO", date(2026, 12, 10)) == []
    assert crm_followups.list_follow_ups(member_code="BO") == []  # open ones only
    (done,) = crm_followups.list_follow_ups(client="1001", include_done=True)
    assert not done["open"] and done["done_by"] == "BO"
    with pytest.raises(CrmPeopleRefused, match="done already"):
        crm_followups.mark_done(item["follow_up_id"], by="AD")


def test_a_bad_follow_up_says_what_to_fix(db):
    _office()
    with pytest.raises(CrmPeopleRefused, match="date '3-12-2026' is not a date; write it as YYYY-MM-DD"):
        crm_followups.add_follow_up(client="1001", title="x", on="3-12-2026", to="BO", by="AD")
    with pytest.raises(CrmPeopleRefused, match="time '9 uur' is not a time of day"):
        crm_followups.add_follow_up(client="1001", title="x", on="2026-12-03", at="9 uur", to="BO", by="AD")
    with pytest.raises(CrmPeopleNotFound, match="no team member with code 'XX'"):
        crm_followups.add_follow_up(client="1001", title="x", on="2026-12-03", to="XX", by="AD")


# ---------------------------------------------------------------- duplicates when creating

@pytest.mark.parametrize(("given", "rule"), [
    ({"last_name": "Jansen", "email": "JAN@bakkerij.example"}, "e-mail"),
    ({"last_name": "de Vries", "first_name": "J.", "birth_date": "1980-05-01"}, "name and date of birth"),
    ({"last_name": "Pietersen", "bsn": "111 222 333"}, "BSN"),
])
def test_creating_a_person_who_probably_exists_warns_on_each_rule_and_creates_nothing(db, given, rule):
    _office()
    with pytest.raises(PossibleDuplicates) as caught:
        crm_persons.add_person(**given, by="AD")
    (candidate,) = caught.value.candidates
    assert candidate["contact_number"] == "5001" and candidate["on"] == [rule]
    assert candidate["name"] == "Jan de Vries" and candidate["clients"] == ["1001"]
    assert f"same {rule}" in str(caught.value) and BSN not in str(caught.value) and BSN not in str(candidate)
    assert "1980" not in str(candidate)
    with unit_of_work() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2


def test_a_namesake_with_another_birth_date_is_no_duplicate(db):
    _office()
    made = crm_persons.add_person(last_name="Vries", name_prefix="de", first_name="Jan", birth_date="1990-01-01",
                                  by="AD")
    assert made["outcome"] == "created" and made["candidates"] == []


def test_force_creates_anyway_and_new_persons_get_numbers_of_their_own_series(db):
    _office()
    made = crm_persons.add_person(last_name="Jansen", email="jan@bakkerij.example", client="1001",
                                  function="boekhouder", by="AD", force=True)
    assert made["contact_number"] == "S00001" and made["candidates"][0]["contact_number"] == "5001"
    second = crm_persons.add_person(last_name="Klaas", by="AD")
    assert second["contact_number"] == "S00002" and second["client_number"] is None
    with unit_of_work() as session:
        session.add(PersonAlias(contact_number="S00007", person_id=session.scalar(
            sa.select(Person.id).where(Person.contact_number == "S00002"))))
    assert crm_persons.add_person(last_name="Kees", by="AD")["contact_number"] == "S00008"  # aliases not reused
    crm_persons.delete_person("S00008", by="AD", reason="test")
    assert crm_persons.add_person(last_name="Karel", by="AD")["contact_number"] == "S00009"  # nor deleted ones
    with unit_of_work() as session:
        event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "person.created")
                                .order_by(AuditEvent.id)).first()
        assert event.actor == "AD" and event.details["forced_past"] == ["5001"]


def test_a_new_number_another_creation_took_at_the_same_moment_is_retried_with_the_next(db, monkeypatch):
    _office()
    assert crm_persons.add_person(last_name="Eerste", by="AD")["contact_number"] == "S00001"
    stale = iter(["S00001"])  # what a concurrent creation read before the first one committed
    real = crm_persons.next_contact_number
    monkeypatch.setattr(crm_persons, "next_contact_number", lambda session: next(stale, None) or real(session))
    assert crm_persons.add_person(last_name="Tweede", by="AD")["contact_number"] == "S00002"


def test_use_links_the_existing_person_to_the_client_instead(db):
    _office()
    with unit_of_work() as session:
        session.add(Client(client_number="1003", kind=ClientKind.COMPANY, name="Nieuw B.V.",
                           status=ClientStatus.PROSPECT))
    linked = crm_persons.add_person(last_name="de Vries", email="jan@bakkerij.example", client="1003",
                                    function="DGA", use="5001", by="AD")
    assert linked == {"outcome": "linked", "contact_number": "5001", "client_number": "1003", "function": "DGA",
                      "is_primary": True}
    with pytest.raises(CrmPeopleRefused, match="linked to client 1003 already"):
        crm_persons.add_person(use="5001", client="1003", by="AD")
    with pytest.raises(CrmPeopleRefused, match="name the client with --client"):
        crm_persons.add_person(use="5001", by="AD")
    with pytest.raises(CrmPeopleRefused, match=r"BSN '\*+4567' is not valid") as caught:
        crm_persons.add_person(last_name="X", bsn="1234567", by="AD")
    assert "1234567" not in str(caught.value)


# ---------------------------------------------------------------- merge

def _reference_everything(session, person_id: int, ids: dict[str, int], member_id: int) -> set[str]:
    """One row in every table that refers to person.id, for the dropped person; the columns covered."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    from sbrflow.domain.approval import Presentation, RequestState
    from sbrflow.domain.case_states import CaseState
    from sbrflow.domain.enums import Frequency, Product, Tax
    from sbrflow.domain.messages import MessageReason, RecipientKind
    from sbrflow.models import Case
    from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

    source = SourcePackage(name="s", kind=SourceKind.HTTP, url="http://127.0.0.1:1")
    session.add(source)
    session.flush()
    doc = TaxReturnDocument(source_package_id=source.id, source_reference="r", received_at=now, sha256="0" * 64,
                            size=1, content=b"x", status=DocumentStatus.RECEIVED, tax=Tax.OB, kind="return")
    case = Case(client_id=ids["1001"], product=Product.VAT_RETURN, period_label="2026-10",
                period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), frequency=Frequency.MONTH,
                quarter_start_month=1, template_code="vat_return", template_version=1,
                state=CaseState.WITH_CLIENT, deadline=date(2026, 11, 30), deadline_effective=date(2026, 11, 30))
    session.add_all([doc, case])
    session.flush()
    session.add_all([
        Address(person_id=person_id, kind=AddressKind.POSTAL, street="Dorpsstraat", house_number="1",
                postcode="1234AB", city="Dorp"),
        PersonAlias(contact_number="4999", person_id=person_id),
        CrmNote(person_id=person_id, title="t", text="x", priority="normal", author_id=member_id, created_at=now,
                updated_by_id=member_id, updated_at=now),
        FollowUp(person_id=person_id, title="t", due_on=date(2026, 12, 1), assigned_to_id=member_id,
                 created_by_id=member_id, created_at=now),
        Message(dedup_key="k", message_id="<m@x>", reason=next(iter(MessageReason)),
                recipient_kind=next(iter(RecipientKind)), person_id=person_id, recipient="a@b.nl", subject="s",
                body_text="b", body_html="b"),
        ApprovalRequest(case_id=case.id, token_sha256="1" * 64, document_id=doc.id, document_sha256="0" * 64,
                        presentation=next(iter(Presentation)), recipient_person_id=person_id, recipient_email="a@b.nl",
                        message="m", state=RequestState.OPEN, requested_at=now, expires_at=now),
    ])
    covered = set()
    tables = Base.metadata.tables
    if "crm_property_value" in tables:  # issue 17's custom properties (branch crmq), when merged in
        session.execute(sa.insert(tables["crm_property"]).values(name="Lead", target="person", kind="indicator",
                                                                 created_by="AD", created_at=now))
        prop = session.scalar(sa.select(tables["crm_property"].c.id).where(tables["crm_property"].c.name == "Lead"))
        session.execute(sa.insert(tables["crm_property_value"]).values(property_id=prop, person_id=person_id))
        covered.add("crm_property_value.person_id")
    # ClientContact: the dropped person's links are made by the caller.
    return covered | {"client_contact.person_id", "address.person_id", "person_alias.person_id", "crm_note.person_id",
            "crm_follow_up.person_id", "message.person_id", "approval_request.recipient_person_id"}


def test_a_merge_keeps_every_link_of_the_dropped_person(db):
    ids = _office()
    with unit_of_work() as session:
        third = Client(client_number="1004", kind=ClientKind.COMPANY, name="Holding B.V.", status=ClientStatus.CLIENT)
        drop = Person(contact_number="6001", first_name="Jan", last_name="de Vries", phone="0612345678",
                      id_document_type="paspoort", id_document_number="NW1234567", id_verified_on=date(2026, 1, 5))
        session.add_all([third, drop])
        session.flush()
        member_id = session.scalar(sa.select(TeamMember.id).where(TeamMember.code == "AD"))
        # Both linked to 1001 (the dropped one with portal access and a share), the dropped one also to 1004.
        session.add_all([ClientContact(client_id=ids["1001"], person_id=drop.id, portal_access=True,
                                       share_percentage=Decimal(60)),
                         ClientContact(client_id=third.id, person_id=drop.id, function="DGA")])
        covered = _reference_everything(session, drop.id, ids, member_id)
        drop_id = drop.id
    references = {f"{c.table.name}.{c.name}" for c in crm_persons.person_references()}
    every_fk = {f"{fk.parent.table.name}.{fk.parent.name}" for t in Base.metadata.sorted_tables
                for fk in t.foreign_keys if fk.column.table.name == "person"}
    assert references == every_fk
    assert every_fk <= covered, f"a table refers to person.id that this test does not fill: {every_fk - covered}"

    result = crm_persons.merge_persons("5001", "6001", by="BO")
    assert result["alias"] == "6001" and result["kept_own"] == []
    with unit_of_work() as session:
        keep_id = ids["5001"]
        assert session.get(Person, drop_id) is None
        for column in crm_persons.person_references():
            left = session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == drop_id))
            kept = session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == keep_id))
            assert left == 0 and kept >= 1, f"{column.table.name}.{column.name}"
        link = session.scalar(sa.select(ClientContact).where(ClientContact.person_id == keep_id,
                                                             ClientContact.client_id == ids["1001"]))
        assert link.function == "DGA" and link.portal_access and link.share_percentage == Decimal(60)
        assert {a for (a,) in session.execute(sa.select(PersonAlias.contact_number)
                                             .where(PersonAlias.person_id == keep_id))} == {"4999", "6001"}
        kept = session.get(Person, keep_id)
        assert kept.phone == "0612345678" and kept.id_document_number == "NW1234567" and kept.bsn == BSN
        event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.merged"))
        assert (event.actor, event.from_state, event.to_state) == ("BO", "6001", "5001")
        assert event.details["moved"]["crm_note.person_id"] == 1
    with pytest.raises(CrmPeopleRefused, match="6001 was merged into 5001 already"):
        crm_persons.merge_persons("5001", "6001", by="BO")
    assert crm_notes.list_notes(person="6001")[0]["about"]["number"] == "5001"  # the alias finds the head


def test_persons_with_different_bsns_are_not_merged(db):
    _office()
    with unit_of_work() as session:
        session.add(Person(contact_number="6001", last_name="Vries", bsn=OTHER_BSN))
    with pytest.raises(CrmPeopleRefused, match="different BSNs") as caught:
        crm_persons.merge_persons("5001", "6001", by="AD")
    assert BSN not in str(caught.value) and OTHER_BSN not in str(caught.value)
    with pytest.raises(CrmPeopleRefused, match="the same person"):
        crm_persons.merge_persons("5001", "5001", by="AD")


# ---------------------------------------------------------------- delete

def test_only_an_admin_deletes_a_person(db):
    _office()
    with pytest.raises(CrmPeopleRefused, match="BO is not an admin; only admins delete persons"):
        crm_persons.delete_person("5002", by="BO", reason="AVG-verzoek")


def test_deleting_the_only_contact_of_an_active_client_or_a_ubo_is_refused_naming_the_client(db):
    ids = _office()
    with unit_of_work() as session:
        session.execute(sa.delete(ClientContact).where(ClientContact.person_id == ids["5002"],
                                                       ClientContact.client_id == ids["1001"]))
    with pytest.raises(CrmPeopleRefused, match=r"the only contact of active client 1001 \(Bakkerij B.V.\)"):
        crm_persons.delete_person("5001", by="AD", reason="AVG-verzoek")
    with unit_of_work() as session:  # 5002 back at 1001; 5001 holds 40 % of a holding owning all of 1001
        holding = Client(client_number="1005", kind=ClientKind.COMPANY, name="Holding B.V.",
                         status=ClientStatus.CLIENT)
        session.add(holding)
        session.flush()
        session.add_all([ClientContact(client_id=ids["1001"], person_id=ids["5002"]),
                         ClientContact(client_id=holding.id, person_id=ids["5001"], share_percentage=Decimal(40)),
                         ClientContact(client_id=holding.id, person_id=ids["5002"]),
                         Shareholding(holder_id=holding.id, owned_id=ids["1001"], share_percentage=Decimal(100))])
    with pytest.raises(CrmPeopleRefused) as caught:
        crm_persons.delete_person("5001", by="AD", reason="AVG-verzoek")
    assert "a UBO of client 1001 (Bakkerij B.V.)" in str(caught.value)
    assert "a UBO of client 1005 (Holding B.V.)" in str(caught.value)
    assert "only contact" not in str(caught.value)


def test_a_person_is_deleted_with_their_data_and_leaves_a_tombstone_without_personal_data(db):
    ids = _office()
    crm_notes.add_note(person="5002", title="Privé", text="Gescheiden", by="AD")
    crm_followups.add_follow_up(person="5002", title="Bellen", on="2026-12-01", to="AD", by="AD")
    with unit_of_work() as session:
        session.add(PersonAlias(contact_number="4998", person_id=ids["5002"]))
        session.add(Address(person_id=ids["5002"], kind=AddressKind.POSTAL, city="Dorp"))
    result = crm_persons.delete_person("5002", by="AD", reason="AVG-verzoek van betrokkene")
    assert result["deleted"] == "5002" and result["aliases"] == ["4998"]
    with unit_of_work() as session:
        assert session.get(Person, ids["5002"]) is None
        for model in (CrmNote, FollowUp, Address, PersonAlias):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
        assert session.scalar(sa.select(sa.func.count()).select_from(ClientContact)
                              .where(ClientContact.person_id == ids["5002"])) == 0
        tomb = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.deleted"))
        assert (tomb.actor, tomb.subject_type, tomb.subject_id, tomb.from_state) == ("AD", "person", ids["5002"],
                                                                                   "5002")
        assert tomb.occurred_at is not None and tomb.details["reason"] == "AVG-verzoek van betrokkene"
        stored = str(tomb.details)
        for personal in ("Piet", "Smit", "piet@example.nl"):
            assert personal not in stored
    with pytest.raises(CrmPeopleNotFound):
        crm_persons.delete_person("5002", by="AD", reason="again")
