"""A small office for the team pages: three members (one admin, one inactive), a client with a VAT case
waiting for its return, and one return in the unmatched queue that belongs to that case."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role, Tax
from sbrflow.domain.matching import MatchReason
from sbrflow.models import (
    Case,
    Client,
    ClientContact,
    Person,
    RoleAssignment,
    Subscription,
    TeamMember,
)
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument, MatchStatus, ReturnMatch
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument
from sbrflow.tasks import team
from sbrflow.tasks.routing import route_once

PASSWORD = "correct horse battery"
NOW = datetime(2021, 11, 10, 9, 0, tzinfo=UTC)


SAMPLE = Path(__file__).resolve().parents[1] / "integrations" / "samples" / "sbr" / "VB-01_bd-rpt-ob-aangifte-2021.xbrl"


@dataclass
class TeamOffice:
    client_id: int
    case_id: int  # 2021-09 of client 1001, waiting for the return that sits in the unmatched queue
    return_id: int
    routed: dict  # period label → case id of the routed cases: 1001 2021-07 and 2021-10 (AN), 1002 2021-10 (BO)


def _document(session, source_id: int, data: bytes, fiscal_id: str, start: date, end: date) -> TaxReturnDocument:
    doc = TaxReturnDocument(
        source_package_id=source_id, source_reference=f"ref-{hashlib.sha256(data).hexdigest()[:12]}", received_at=NOW,
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data, status=DocumentStatus.RECEIVED,
        tax=Tax.OB, kind="return", fiscal_id=fiscal_id, period_start=start, period_end=end, amount_due=3240)
    session.add(doc)
    session.flush()
    return doc


def _case(session, client_id: int, label: str, start: date, end: date, deadline: date, state: CaseState) -> Case:
    case = Case(client_id=client_id, product=Product.VAT_RETURN, period_label=label, period_start=start,
                period_end=end, frequency=Frequency.MONTH, quarter_start_month=1, template_code="vat_return",
                template_version=1, state=state, deadline=deadline, deadline_effective=deadline)
    session.add(case)
    session.flush()
    return case


def build_team_office() -> TeamOffice:
    with unit_of_work() as session:
        anna = TeamMember(code="AN", name="Anna Jansen", email="anna@kantoor.example", active=True)
        bob = TeamMember(code="BO", name="Bob de Boer", email="bob@kantoor.example", active=True)
        cees = TeamMember(code="CI", name="Cees Inactief", email="cees@kantoor.example", active=False)
        client = Client(client_number="1001", kind=ClientKind.COMPANY, name="Bakkerij De Vries B.V.",
                        status=ClientStatus.CLIENT, legal_form=LegalForm.BV, rsin="001000044",
                        ob_number="001000044B37", sbr_enabled=True)
        person = Person(contact_number="C1", first_name="Jan", last_name="de Vries", email="jan@bakkerij.example",
                        bsn="111222333")
        source = SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://127.0.0.1:1")
        session.add_all([anna, bob, cees, client, person, source])
        session.flush()
        session.add_all([
            ClientContact(client_id=client.id, person_id=person.id, function="DGA", is_primary=True),
            RoleAssignment(client_id=client.id, role=Role.ADMINISTRATIE, team_member_id=anna.id),
            RoleAssignment(client_id=client.id, role=Role.ACCOUNTANT, team_member_id=bob.id),
            Subscription(client_id=client.id, product=Product.VAT_RETURN, frequency=Frequency.MONTH),
        ])
        other = Client(client_number="1002", kind=ClientKind.COMPANY, name="Garage Smit V.O.F.",
                       status=ClientStatus.CLIENT, rsin="001000056", ob_number="001000056B01")
        session.add(other)
        session.flush()
        session.add_all([RoleAssignment(client_id=other.id, role=Role.ADMINISTRATIE, team_member_id=bob.id),
                         RoleAssignment(client_id=other.id, role=Role.ACCOUNTANT, team_member_id=bob.id)])
        waiting = _case(session, client.id, "2021-09", date(2021, 9, 1), date(2021, 9, 30), date(2021, 11, 1),
                        CaseState.WAITING_FOR_RETURN)
        routed = {}
        for owner, label, start, end, deadline, data in [
            (client, "2021-10", date(2021, 10, 1), date(2021, 10, 31), date(2021, 11, 30), SAMPLE.read_bytes()),
            (client, "2021-07", date(2021, 7, 1), date(2021, 7, 31), date(2021, 8, 31), b"<xbrl>july</xbrl>"),
            (other, "2021-10", date(2021, 10, 1), date(2021, 10, 31), date(2021, 11, 30), b"<xbrl>garage</xbrl>"),
        ]:
            case = _case(session, owner.id, label, start, end, deadline, CaseState.RETURN_RECEIVED)
            doc = _document(session, source.id, data, owner.ob_number, start, end)
            session.add(CaseDocument(case_id=case.id, document_id=doc.id, is_current=True, attached_at=NOW))
            routed[f"{owner.client_number} {label}"] = case.id
        doc = _document(session, source.id, b"<xbrl>team-office</xbrl>", "999999990B01", date(2021, 9, 1),
                        date(2021, 9, 30))
        session.add(ReturnMatch(document_id=doc.id, status=MatchStatus.UNMATCHED,
                                reason_code=MatchReason.UNKNOWN_IDENTIFIER,
                                reason="no client has OB-nummer 999999990B01", attempts=1))
        office = TeamOffice(client.id, waiting.id, doc.id, routed)
    route_once(actor="system:test")
    for code in ("AN", "BO", "CI"):
        team.set_password(code, PASSWORD)
    team.set_admin("AN")
    return office


@pytest.fixture
def team_office(db) -> TeamOffice:
    return build_team_office()


@pytest.fixture(autouse=True)
def light_argon2(monkeypatch):
    """argon2id with small costs in tests (the real parameters cost ~0.1 s a hash on a busy machine)."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(team, "_hasher", lambda: hasher)
    team._dummy_hash.cache_clear()
    yield
    team._dummy_hash.cache_clear()
