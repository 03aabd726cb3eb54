"""A small office for the team pages: three members (one admin, one inactive), a client with a VAT case
waiting for its return, and one return in the unmatched queue that belongs to that case."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

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
from sbrflow.models.matching import MatchStatus, ReturnMatch
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument
from sbrflow.tasks import team

PASSWORD = "correct horse battery"
NOW = datetime(2021, 11, 10, 9, 0, tzinfo=UTC)


@dataclass
class TeamOffice:
    client_id: int
    case_id: int
    return_id: int


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
        case = Case(client_id=client.id, product=Product.VAT_RETURN, period_label="2021-10",
                    period_start=date(2021, 10, 1), period_end=date(2021, 10, 31), frequency=Frequency.MONTH,
                    quarter_start_month=1, template_code="vat_return", template_version=1,
                    state=CaseState.WAITING_FOR_RETURN, deadline=date(2021, 11, 30),
                    deadline_effective=date(2021, 11, 30))
        data = b"<xbrl>team-office</xbrl>"
        doc = TaxReturnDocument(
            source_package_id=source.id, source_reference="ref-1", received_at=NOW,
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data, status=DocumentStatus.RECEIVED,
            tax=Tax.OB, kind="return", fiscal_id="999999990B01", period_start=date(2021, 10, 1),
            period_end=date(2021, 10, 31), amount_due=100)
        session.add_all([case, doc])
        session.flush()
        session.add(ReturnMatch(document_id=doc.id, status=MatchStatus.UNMATCHED,
                                reason_code=MatchReason.UNKNOWN_IDENTIFIER,
                                reason="no client has OB-nummer 999999990B01", attempts=1))
        office = TeamOffice(client.id, case.id, doc.id)
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
