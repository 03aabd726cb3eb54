"""Fixtures of the submission tests: a test PKI, a running Digipoort simulator, approved cases."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Role
from sbrflow.integrations.digipoort.client import WusClient
from sbrflow.integrations.digipoort.simulator import DigipoortSimulator
from sbrflow.integrations.digipoort.testpki import make_test_pki
from sbrflow.models import Case, CaseDocument, Client, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def simulator(pki):
    with DigipoortSimulator(pki) as sim:
        yield sim


@pytest.fixture
def client(pki, simulator):
    wus = WusClient(simulator.aanlever_url, simulator.status_url, cert_file=pki.client_cert,
                    key_file=pki.client_key, ca_file=pki.ca_cert, read_timeout=5)
    yield wus
    wus.close()


@pytest.fixture
def digipoort_settings(pki, simulator, monkeypatch):
    """SBRFLOW_DIGIPOORT_* pointing at the simulator (for flows and commands that read the settings)."""
    from sbrflow.config.settings import get_settings

    for name, value in {"AANLEVER_URL": simulator.aanlever_url, "STATUS_URL": simulator.status_url,
                        "CERT_FILE": pki.client_cert, "KEY_FILE": pki.client_key, "CA_FILE": pki.ca_cert}.items():
        monkeypatch.setenv(f"SBRFLOW_DIGIPOORT_{name}", str(value))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def document_bytes(n: int) -> bytes:
    return f"<xbrli:xbrl xmlns:xbrli='http://www.xbrl.org/2003/instance'><!-- return {n} --></xbrli:xbrl>".encode()


def approved_case(session, number: str, ob_number: str, *, member: TeamMember | None = None,
                  product: Product = Product.VAT_RETURN, label: str = "2026-Q1", period=Q1,
                  frequency: Frequency = Frequency.QUARTER) -> int:
    """A client (with subscription and relatiebeheerder) and its approved case with a current document."""
    source_id = session.scalar(sa.select(SourcePackage.id))
    if source_id is None:
        source = SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://127.0.0.1:1")
        session.add(source)
        session.flush()
        source_id = source.id
    if member is None:
        member = session.scalar(sa.select(TeamMember).where(TeamMember.code == "JDV"))
        if member is None:
            member = TeamMember(code="JDV", name="Jan de Vries", email="jan@kantoor.test")
            session.add(member)
            session.flush()
    client = Client(client_number=number, kind=ClientKind.COMPANY, name=f"Klant {number}", status=ClientStatus.CLIENT,
                    rsin=ob_number[:9], ob_number=ob_number)
    session.add(client)
    session.flush()
    session.add_all([Subscription(client_id=client.id, product=product, frequency=frequency, quarter_start_month=1),
                     RoleAssignment(client_id=client.id, role=Role.RELATIEBEHEERDER, team_member_id=member.id)])
    data = document_bytes(client.id)
    doc = TaxReturnDocument(source_package_id=source_id, source_reference=f"ref-{number}", received_at=datetime.now(UTC),
                            sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data,
                            status=DocumentStatus.RECEIVED, fiscal_id=ob_number, period_start=period[0],
                            period_end=period[1])
    case = Case(client_id=client.id, product=product, period_label=label, period_start=period[0],
                period_end=period[1], frequency=frequency, quarter_start_month=1, template_code=product.value,
                template_version=1, state=CaseState.APPROVED)
    session.add_all([doc, case])
    session.flush()
    session.add(CaseDocument(case_id=case.id, document_id=doc.id, is_current=True, attached_at=datetime.now(UTC)))
    session.flush()
    return case.id


def make_cases(*fiscal_ids: str) -> list[int]:
    with unit_of_work() as session:
        return [approved_case(session, f"{1001 + i}", fid) for i, fid in enumerate(fiscal_ids)]


def case_state(case_id: int) -> str:
    with unit_of_work() as session:
        return session.get(Case, case_id).state.value
