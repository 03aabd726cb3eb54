"""A small office with one VAT case waiting for its client: the real VB-01 return attached as its document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Role, Tax
from sbrflow.models import Case, CaseStage, Client, ClientContact, Person
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument

SAMPLE = Path(__file__).resolve().parents[1] / "integrations" / "samples" / "sbr" / "VB-01_bd-rpt-ob-aangifte-2021.xbrl"
NOW = datetime(2021, 11, 10, 9, 0, tzinfo=UTC)


@dataclass
class Office:
    case_id: int
    client_id: int
    person_id: int


def add_document(session, case_id: int, data: bytes, *, kind: str = "return", amount_due=3240) -> int:
    """Attach a document to the case as its current one (the earlier current one becomes history)."""
    source = session.query(SourcePackage).first()
    sha = hashlib.sha256(data).hexdigest()
    doc = TaxReturnDocument(
        source_package_id=source.id, source_reference=f"ref-{sha[:12]}", received_at=NOW, sha256=sha,
        size=len(data), content=data, status=DocumentStatus.RECEIVED, tax=Tax.OB, kind=kind,
        fiscal_id="001000044B37", period_start=date(2021, 10, 1), period_end=date(2021, 10, 31), amount_due=amount_due)
    session.add(doc)
    session.flush()
    for old in session.query(CaseDocument).filter_by(case_id=case_id, is_current=True):
        old.is_current, old.replaced_at = False, NOW
    session.flush()
    session.add(CaseDocument(case_id=case_id, document_id=doc.id, is_current=True, attached_at=NOW))
    session.flush()
    return doc.id


def build_office(*, email: str | None = "jan@bakkerij.example", function: str | None = "DGA",
                 template_code: str = "vat_return") -> Office:
    with unit_of_work() as session:
        client = Client(client_number="1001", kind=ClientKind.COMPANY, name="Bakkerij De Vries B.V.",
                        status=ClientStatus.CLIENT, rsin="001000044", ob_number="001000044B37")
        person = Person(contact_number="C1", first_name="Jan", last_name="de Vries", email=email)
        session.add_all([client, person, SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://127.0.0.1:1")])
        session.flush()
        session.add(ClientContact(client_id=client.id, person_id=person.id, function=function, is_primary=True))
        case = Case(client_id=client.id, product=Product.VAT_RETURN, period_label="2021-10",
                    period_start=date(2021, 10, 1), period_end=date(2021, 10, 31), frequency=Frequency.MONTH,
                    quarter_start_month=1, template_code=template_code, template_version=1,
                    state=CaseState.WITH_CLIENT, deadline=date(2021, 11, 30), deadline_effective=date(2021, 11, 30))
        session.add(case)
        session.flush()
        for position, (code, role) in enumerate(
            [("verwerken", Role.ADMINISTRATIE), ("samenstellen", Role.ADMINISTRATIE), ("beoordelen", Role.ACCOUNTANT)],
            start=1,
        ):
            session.add(CaseStage(case_id=case.id, position=position, stage_code=code, role=role,
                                  state=StageState.DONE, started_at=NOW, completed_at=NOW))
        add_document(session, case.id, SAMPLE.read_bytes())
        return Office(case.id, client.id, person.id)


@pytest.fixture
def office(db) -> Office:
    return build_office()


@pytest.fixture
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture
def kit():
    """The builders, for tests that make their own office (after changing settings)."""
    from types import SimpleNamespace

    return SimpleNamespace(NOW=NOW, add_document=add_document, build_office=build_office)
