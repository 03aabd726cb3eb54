"""A tiny office for the routing tests (tasks and flows): one VAT client, five members, one waiting case."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Role, Tax
from sbrflow.models import Client, RoleAssignment, Subscription, TeamMember
from sbrflow.models.cases import Case
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

TODAY = date(2026, 11, 23)
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
_n = iter(range(1, 10**6))


def _office(session, *, with_accountant: bool = True) -> int:
    """Client 1001 (quarterly VAT) with AD administratie, AC accountant, RB relatiebeheerder; XX holds nothing."""
    client = Client(client_number="1001", kind=ClientKind.COMPANY, name="Holding BV", status=ClientStatus.CLIENT,
                    rsin="001000044", ob_number="001000044B37")
    members = {code: TeamMember(code=code, name=code) for code in ("AD", "AC", "RB", "XX", "AD2")}
    session.add_all([client, *members.values(), SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://x")])
    session.flush()
    session.add(Subscription(client_id=client.id, product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                             quarter_start_month=1))
    roles = [(Role.ADMINISTRATIE, "AD"), (Role.RELATIEBEHEERDER, "RB")]
    if with_accountant:
        roles.append((Role.ACCOUNTANT, "AC"))
    session.add_all(RoleAssignment(client_id=client.id, role=r, team_member_id=members[m].id) for r, m in roles)
    case = Case(client_id=client.id, product=Product.VAT_RETURN, period_label="2026-Q1", period_start=Q1[0],
                period_end=Q1[1], frequency=Frequency.QUARTER, quarter_start_month=1, template_code="vat_return",
                template_version=1, state=CaseState.WAITING_FOR_RETURN, deadline=date(2026, 4, 30),
                deadline_effective=date(2026, 4, 30))
    session.add(case)
    session.flush()
    return case.id


def _doc(session, fiscal_id="001000044B37") -> int:
    n = next(_n)
    doc = TaxReturnDocument(
        source_package_id=session.scalar(sa.select(SourcePackage.id)), source_reference=f"r{n}",
        received_at=datetime.now(UTC), sha256=hashlib.sha256(f"d{n}".encode()).hexdigest(), size=1, content=b"x",
        status=DocumentStatus.RECEIVED, tax=Tax.OB, kind="return", fiscal_id=fiscal_id, period_start=Q1[0],
        period_end=Q1[1], amount_due=1234, document_created_at=datetime(2026, 4, 2, 9, n % 60))
    session.add(doc)
    session.flush()
    return doc.id
