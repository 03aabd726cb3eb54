"""Matching on SQLite and PostgreSQL: every outcome, corrections, re-match after a CRM fix, manual assign."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Tax
from sbrflow.models import Client, Subscription
from sbrflow.models.cases import Case
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import AuditEvent, CaseDocument, MatchMethod, MatchStatus, ReturnMatch
from sbrflow.models.returns import DocumentStatus, SourceKind, SourcePackage, TaxReturnDocument
from sbrflow.tasks.matching import ManualAssignError, assign_manually, match_pending

TODAY = date(2026, 11, 23)
Q1 = (date(2026, 1, 1), date(2026, 3, 31))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))


def _office(session) -> dict[str, int]:
    """Three clients: 1001 quarterly VAT, 1002 monthly payroll, 1003 a former client; cases for Q1/Oct."""
    clients = {
        "1001": Client(client_number="1001", kind=ClientKind.COMPANY, name="Holding", status=ClientStatus.CLIENT,
                       rsin="001000044", ob_number="001000044B37"),
        "1002": Client(client_number="1002", kind=ClientKind.COMPANY, name="Bouw", status=ClientStatus.CLIENT,
                       rsin="111222333", ob_number="111222333B01", payroll_tax_number="111222333L01"),
        "1003": Client(client_number="1003", kind=ClientKind.COMPANY, name="Oud", status=ClientStatus.FORMER_CLIENT,
                       rsin="123456782", ob_number="123456782B01"),
    }
    session.add_all(clients.values())
    session.flush()
    session.add_all([
        Subscription(client_id=clients["1001"].id, product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                     quarter_start_month=1),
        Subscription(client_id=clients["1002"].id, product=Product.PAYROLL_RETURN, frequency=Frequency.MONTH),
        Subscription(client_id=clients["1003"].id, product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                     quarter_start_month=1),
    ])
    session.add_all([
        _case(clients["1001"].id, Product.VAT_RETURN, "2026-Q1", *Q1, Frequency.QUARTER),
        _case(clients["1002"].id, Product.PAYROLL_RETURN, "2026-10", date(2026, 10, 1), date(2026, 10, 31),
              Frequency.MONTH),
    ])
    session.add(SourcePackage(name="sim", kind=SourceKind.HTTP, url="http://127.0.0.1:1"))
    session.flush()
    return {n: c.id for n, c in clients.items()}


def _case(client_id, product, label, start, end, frequency, state=CaseState.WAITING_FOR_RETURN):
    return Case(client_id=client_id, product=product, period_label=label, period_start=start, period_end=end,
                frequency=frequency, quarter_start_month=1, template_code=product.value, template_version=1,
                state=state)


_counter = iter(range(1, 10**6))


def _doc(session, tax, fiscal_id, start, end, kind="return", created=None) -> int:
    n = next(_counter)
    source_id = session.scalar(sa.select(SourcePackage.id))
    doc = TaxReturnDocument(
        source_package_id=source_id, source_reference=f"ref-{n}", received_at=datetime.now(UTC),
        sha256=hashlib.sha256(f"doc-{n}".encode()).hexdigest(), size=10, content=b"x",
        status=DocumentStatus.RECEIVED, tax=tax, kind=kind, fiscal_id=fiscal_id, period_start=start,
        period_end=end, document_created_at=created or datetime(2026, 4, 2, 9, n % 60),
    )
    session.add(doc)
    session.flush()
    return doc.id


def _status(doc_id) -> tuple:
    with unit_of_work() as session:
        m = session.scalars(sa.select(ReturnMatch).where(ReturnMatch.document_id == doc_id)).one()
        return m.status, m.reason_code, m.case_id


def test_a_vat_return_is_matched_and_its_waiting_case_records_return_received(db):
    with unit_of_work() as session:
        _office(session)
        doc = _doc(session, Tax.OB, "001000044B37", *Q1)
    with unit_of_work() as session:
        summary = match_pending(session, today=TODAY)
    assert summary["matched"] == 1 and summary["cases_return_received"] == 1
    status, code, case_id = _status(doc)
    assert (status, code) == (MatchStatus.MATCHED, None)
    with unit_of_work() as session:
        case = session.get(Case, case_id)
        assert case.state is CaseState.RETURN_RECEIVED
        current = session.scalars(sa.select(CaseDocument).where(CaseDocument.case_id == case_id)).one()
        assert (current.document_id, current.is_current) == (doc, True)


@pytest.mark.parametrize("fiscal_id, period, reason", [
    ("999999990B01", Q1, "unknown_identifier"),
    ("123456782B01", Q1, "client_not_active"),
    ("111222333B01", Q1, "no_subscription"),
    ("001000044B37", (date(2026, 1, 1), date(2026, 1, 31)), "period_mismatch"),
    ("001000044B37", Q2, "no_case"),
])
def test_each_unmatched_return_keeps_exactly_one_reason(db, fiscal_id, period, reason):
    with unit_of_work() as session:
        _office(session)
        doc = _doc(session, Tax.OB, fiscal_id, *period)
    with unit_of_work() as session:
        summary = match_pending(session, today=TODAY)
    assert summary["unmatched"] == {reason: 1}
    assert _status(doc)[:2] == (MatchStatus.UNMATCHED, reason)


def test_two_clients_with_the_same_ob_number_make_the_return_ambiguous(db):
    with unit_of_work() as session:
        _office(session)
        session.add(Client(client_number="2001", kind=ClientKind.COMPANY, name="Twin", status=ClientStatus.CLIENT,
                           ob_number="001000044B37"))
        doc = _doc(session, Tax.OB, "001000044B37", *Q1)
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
        reason = session.scalars(sa.select(ReturnMatch.reason)).one()
    assert _status(doc)[1] == "ambiguous" and "1001" in reason and "2001" in reason


def test_a_return_for_a_submitted_case_is_case_closed(db):
    with unit_of_work() as session:
        _office(session)
        session.execute(sa.update(Case).values(state=CaseState.SUBMITTED))
        doc = _doc(session, Tax.OB, "001000044B37", *Q1)
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
    assert _status(doc)[1] == "case_closed"


def test_a_correction_replaces_the_current_document_keeps_history_and_sends_the_case_back(db):
    with unit_of_work() as session:
        _office(session)
        first = _doc(session, Tax.OB, "001000044B37", *Q1, created=datetime(2026, 4, 2))
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
        session.execute(sa.update(Case).values(state=CaseState.WITH_CLIENT, current_stage="client"))
    with unit_of_work() as session:
        second = _doc(session, Tax.OB, "001000044B37", *Q1, kind="correction", created=datetime(2026, 5, 1))
    with unit_of_work() as session:
        summary = match_pending(session, today=TODAY)
    assert summary["corrections"] == 1
    with unit_of_work() as session:
        docs = {d.document_id: d for d in session.scalars(sa.select(CaseDocument))}
        assert docs[first].is_current is False and docs[first].replaced_at is not None
        assert docs[second].is_current is True
        case = session.scalars(sa.select(Case).where(Case.period_label == "2026-Q1")).one()
        assert (case.state, case.current_stage) == (CaseState.RETURN_RECEIVED, None)


def test_two_documents_for_one_case_in_one_pass_leave_the_newest_current(db):
    with unit_of_work() as session:
        _office(session)
        newer = _doc(session, Tax.OB, "001000044B37", *Q1, created=datetime(2026, 4, 20))
        older = _doc(session, Tax.OB, "001000044B37", *Q1, created=datetime(2026, 4, 1))
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
        current = session.scalars(sa.select(CaseDocument.document_id).where(CaseDocument.is_current)).all()
    assert current == [newer] and older != newer


def test_an_icp_listing_belongs_to_the_case_but_never_replaces_the_return(db):
    with unit_of_work() as session:
        _office(session)
        ret = _doc(session, Tax.OB, "001000044B37", *Q1, created=datetime(2026, 4, 1))
        icp = _doc(session, Tax.OB, "001000044B37", *Q1, kind="icp", created=datetime(2026, 4, 5))
    with unit_of_work() as session:
        summary = match_pending(session, today=TODAY)
        rows = {d.document_id: d.is_current for d in session.scalars(sa.select(CaseDocument))}
    assert summary["corrections"] == 0 and rows == {ret: True, icp: False}


def test_a_payroll_return_matches_on_its_loonheffingennummer(db):
    with unit_of_work() as session:
        _office(session)
        doc = _doc(session, Tax.LH, "111222333L01", date(2026, 10, 1), date(2026, 10, 31))
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
    assert _status(doc)[0] is MatchStatus.MATCHED


def test_a_second_pass_changes_nothing_for_matched_returns(db):
    with unit_of_work() as session:
        _office(session)
        _doc(session, Tax.OB, "001000044B37", *Q1)
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
    with unit_of_work() as session:
        assert match_pending(session, today=TODAY)["considered"] == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(CaseDocument)) == 1


def test_an_unknown_return_matches_on_the_next_pass_once_the_crm_is_fixed(db):
    with unit_of_work() as session:
        ids = _office(session)
        doc = _doc(session, Tax.OB, "111222333B01", *Q1)
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
    assert _status(doc)[1] == "no_subscription"
    with unit_of_work() as session:  # the office adds the product and plans the case
        session.add(Subscription(client_id=ids["1002"], product=Product.VAT_RETURN, frequency=Frequency.QUARTER,
                                 quarter_start_month=1))
        session.add(_case(ids["1002"], Product.VAT_RETURN, "2026-Q1", *Q1, Frequency.QUARTER))
    with unit_of_work() as session:
        summary = match_pending(session, today=TODAY)
        attempts = session.scalar(sa.select(ReturnMatch.attempts))
    assert summary["matched"] == 1 and _status(doc)[0] is MatchStatus.MATCHED and attempts == 2


def test_an_operator_assigns_an_unmatched_return_by_hand_and_the_audit_trail_records_it(db):
    with unit_of_work() as session:
        _office(session)
        doc = _doc(session, Tax.OB, "001000044", *Q1)  # bare RSIN…
        session.execute(sa.update(Client).where(Client.client_number == "1001").values(ob_number=None))
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
    assert _status(doc)[1] == "unknown_identifier"
    with unit_of_work() as session:
        result = assign_manually(session, doc, "1001", period_label="2026-Q1", actor="anna")
    assert result["period_label"] == "2026-Q1"
    with unit_of_work() as session:
        match = session.scalars(sa.select(ReturnMatch)).one()
        assert (match.status, match.method) == (MatchStatus.MATCHED, MatchMethod.MANUAL)
        event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "return.assign")).one()
        assert (event.actor, event.action, event.subject_id) == ("anna", "return.assign", doc)
        assert event.details["client_number"] == "1001"
        # The case's move is in the same trail, by the same actor (routing's state machine decided it).
        moved = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.return_received")).one()
        assert (moved.actor, moved.case_id, moved.to_state) == ("anna", result["case_id"], "return_received")


def test_assigning_to_a_client_without_that_case_says_what_to_do(db):
    with unit_of_work() as session:
        _office(session)
        doc = _doc(session, Tax.OB, "999999990B01", *Q2)
    with pytest.raises(ManualAssignError, match="has no vat_return case"), unit_of_work() as session:
        assign_manually(session, doc, "1001", period_label=None, actor="anna")
    with pytest.raises(ManualAssignError, match="no client with client number 9999"), unit_of_work() as session:
        assign_manually(session, doc, "9999", period_label=None, actor="anna")


def test_the_bulk_copy_path_writes_the_same_outcomes(db, monkeypatch):
    from sbrflow.models import bulk

    monkeypatch.setattr(bulk, "COPY_FROM", 1)  # COPY on PostgreSQL even for these few rows
    with unit_of_work() as session:
        _office(session)
        first = _doc(session, Tax.OB, "001000044B37", *Q1, created=datetime(2026, 4, 1))
        second = _doc(session, Tax.OB, "001000044B37", *Q1, kind="correction", created=datetime(2026, 4, 9))
        unknown = _doc(session, Tax.OB, "999999990B01", *Q1)
    with unit_of_work() as session:
        summary = match_pending(session, today=TODAY)
        current = dict(session.execute(sa.select(CaseDocument.document_id, CaseDocument.is_current)).all())
    assert (summary["matched"], summary["corrections"], summary["unmatched"]) == (2, 1, {"unknown_identifier": 1})
    assert current == {first: False, second: True}
    assert _status(unknown)[:2] == (MatchStatus.UNMATCHED, "unknown_identifier")
