"""submit-returns and follow-submissions as task functions, on SQLite and PostgreSQL, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sbrflow.models import AuditEvent, Case, CaseDocument, TaxReturnDocument
from sbrflow.models.db import unit_of_work
from sbrflow.models.submission import DeliveryState, Submission
from sbrflow.tasks import submission as tasks
from sbrflow.tasks.submission_admin import close_case, list_submissions, resubmit

from .conftest import case_state, make_cases


def _submit(client) -> dict:
    return tasks.send_batch(tasks.claim_batch(), client)


def _follow(client, now=None) -> dict:
    return tasks.follow_batch(tasks.open_deliveries(), client, now)


def _delivery(case_id: int) -> Submission:
    with unit_of_work() as session:
        return session.scalars(sa.select(Submission).where(Submission.case_id == case_id)
                               .order_by(Submission.attempt.desc())).first()


def _statuses(case_id: int) -> list[str]:
    with unit_of_work() as session:
        return [e.details["code"] for e in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.subject_id == case_id, AuditEvent.action == "digipoort_status")
            .order_by(AuditEvent.id))]


def test_the_happy_flow_ends_closed_with_every_status_in_the_audit_trail_and_the_next_period_planned(db, client):
    [case_id] = make_cases("001000044B37")
    assert _submit(client)["delivered"] == 1
    delivery = _delivery(case_id)
    assert delivery.state == DeliveryState.DELIVERED and delivery.kenmerk and delivery.on_behalf_of_id
    assert case_state(case_id) == "submitting"
    _follow(client)
    assert case_state(case_id) == "submitting"  # 105 … 301 so far
    _follow(client)
    assert case_state(case_id) == "closed"
    assert _statuses(case_id) == ["105", "100", "110", "200", "301", "301", "405", "400", "500"]
    with unit_of_work() as session:
        client_id = session.get(Case, case_id).client_id
        labels = session.scalars(sa.select(Case.period_label).where(Case.client_id == client_id)).all()
    assert sorted(labels) == ["2026-Q1", "2026-Q2"]
    row = list_submissions()[0]
    assert row["status_code"] == "500" and row["kenmerk"] == delivery.kenmerk and row["client_number"] == "1001"
    # The case's own history (`sbrflow case show`) tells the same story, with the state each move left.
    from sbrflow.tasks.routing import show_case

    history = [(e["action"], e["to"]) for e in show_case(case_id)["history"]]
    assert ("submission_claimed", "submitting") in history and history[-2:] == [("submitted", "submitted"),
                                                                                ("closed", "closed")]


def test_an_immediate_delivery_fault_fails_the_case_with_code_and_meaning(db, client):
    [case_id] = make_cases("001000044B90")
    assert _submit(client)["failed"] == 1
    assert case_state(case_id) == "submission_failed"
    row = list_submissions("submission_failed")[0]
    assert row["error_code"] == "ALS103" and "Identiteit belanghebbende" in row["meaning"]
    # In the work list of the team member it was sent on behalf of, and nobody else's.
    assert [r["case_id"] for r in list_submissions("submission_failed", member="JDV")] == [case_id]
    assert list_submissions("submission_failed", member="XX") == []


@pytest.mark.parametrize(("fiscal_id", "code"), [("001000044B91", "311"), ("001000044B92", "410")])
def test_a_final_error_status_fails_the_case_with_code_and_meaning(db, client, fiscal_id, code):
    [case_id] = make_cases(fiscal_id)
    _submit(client)
    assert _follow(client)["failed"] == 1
    assert case_state(case_id) == "submission_failed"
    delivery = _delivery(case_id)
    assert delivery.error_code == code and delivery.state == DeliveryState.FAILED
    assert delivery.error_text.startswith(("Validatie mislukt", "Afleveren uitvragende partij mislukt"))


def test_420_then_success_keeps_following_and_closes(db, client):
    [case_id] = make_cases("001000044B93")
    _submit(client)
    assert _follow(client)["following"] == 1 and _delivery(case_id).retrying_since is not None
    _follow(client)
    assert case_state(case_id) == "closed"


def test_420_for_more_than_72_hours_fails_with_a_fake_clock(db, client):
    [case_id] = make_cases("001000044B94")
    _submit(client)
    start = datetime.now(UTC)
    _follow(client, start)
    _follow(client, start + timedelta(hours=71))
    assert case_state(case_id) == "submitting"
    assert _follow(client, start + timedelta(hours=73))["failed"] == 1
    assert case_state(case_id) == "submission_failed" and _delivery(case_id).error_code == "420"


def test_bytes_that_do_not_hash_to_the_current_document_are_refused_and_not_sent(db, client, simulator):
    [case_id] = make_cases("001000044B37")
    with unit_of_work() as session:
        doc = session.scalar(sa.select(TaxReturnDocument).join(CaseDocument).where(CaseDocument.case_id == case_id))
        doc.content = b"<changed after approval/>"
    assert _submit(client)["refused"] == 1
    assert case_state(case_id) == "submission_failed" and not simulator.received
    assert "current document" in _delivery(case_id).error_text


def test_a_case_whose_client_approved_another_document_is_refused_and_not_sent(db, client, simulator):
    from sbrflow.domain.approval import Decision, Presentation, RequestState
    from sbrflow.models import ApprovalRequest

    [case_id] = make_cases("001000044B37")
    now = datetime.now(UTC)
    with unit_of_work() as session:
        doc_id = session.scalar(sa.select(CaseDocument.document_id).where(CaseDocument.case_id == case_id))
        session.add(ApprovalRequest(
            case_id=case_id, token_sha256="0" * 64, document_id=doc_id, document_sha256="e" * 64,
            presentation=Presentation.APPROVAL, recipient_email="dga@klant.test", message="-",
            state=RequestState.DECIDED, requested_at=now, expires_at=now + timedelta(days=14),
            decision=Decision.APPROVED, decided_at=now, decided_sha256="e" * 64, decided_via="web"))
    assert _submit(client)["refused"] == 1
    assert case_state(case_id) == "submission_failed" and not simulator.received
    assert "a new approval is needed" in _delivery(case_id).error_text


def test_a_crash_between_the_claim_commit_and_the_call_leaves_the_case_listed_and_never_resent(db, client, simulator):
    [case_id] = make_cases("001000044B37")
    tasks.claim_batch()  # committed; the process dies before sending
    _submit(client)
    tasks.send_batch(tasks.resendable(), client)
    assert not simulator.received and case_state(case_id) == "submitting"
    assert [r["case_id"] for r in list_submissions("in_doubt")] == [case_id]


def test_a_crash_between_the_call_and_storing_the_kenmerk_leaves_it_listed_and_never_resent(db, client, simulator,
                                                                                         monkeypatch):
    [case_id] = make_cases("001000044B37")
    claimed = tasks.claim_batch()

    def crash(*_args, **_kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(tasks, "_store", crash)
    with pytest.raises(RuntimeError):
        tasks.send_batch(claimed, client)
    monkeypatch.undo()
    _submit(client)
    tasks.send_batch(tasks.resendable(), client)
    assert sum(simulator.received.values()) == 1
    assert [r["case_id"] for r in list_submissions("in_doubt")] == [case_id]
    # A person checked Digipoort: not received. Only then is it sent again.
    resubmit(case_id, by="JDV")
    assert _submit(client)["delivered"] == 1 and _delivery(case_id).attempt == 2


def test_a_503_is_sent_again_because_it_was_certainly_not_received(db, client, simulator):
    [case_id] = make_cases("001000044B37")
    simulator.faults.error_rate = 1.0
    assert _submit(client)["unavailable"] == 1
    simulator.faults.error_rate = 0.0
    assert tasks.send_batch(tasks.resendable(), client)["delivered"] == 1
    assert sum(simulator.received.values()) == 1 and _delivery(case_id).attempt == 1


def test_resubmit_after_a_fix_sends_a_new_delivery_and_close_by_hand_needs_submitted(db, client):
    from sbrflow.domain.errors import NotFound, SubmissionError

    [case_id] = make_cases("001000044B90")
    _submit(client)
    with pytest.raises(SubmissionError):
        close_case(case_id, by="JDV")
    with pytest.raises(NotFound):
        resubmit(case_id, by="NOBODY")
    with unit_of_work() as session:  # the fix: the client's number was wrong
        session.get(Case, case_id).client.ob_number = "001000044B37"
        doc = session.scalar(sa.select(TaxReturnDocument).join(CaseDocument).where(CaseDocument.case_id == case_id))
        doc.fiscal_id = "001000044B37"
    assert resubmit(case_id, by="JDV")["state"] == "approved"
    assert _submit(client)["delivered"] == 1 and _delivery(case_id).attempt == 2


def test_an_unreadable_answer_leaves_only_that_delivery_in_doubt_and_the_batch_goes_on(db, client, monkeypatch):
    from sbrflow.integrations.digipoort.messages import UnreadableMessage

    first, second = make_cases("001000044B37", "001000044B01")
    real = client.submit
    calls = []

    def garbled_once(data, envelope):
        calls.append(envelope.aanleverkenmerk)
        if len(calls) == 1:
            real(data, envelope)
            raise UnreadableMessage("garbled")
        return real(data, envelope)

    monkeypatch.setattr(client, "submit", garbled_once)
    counts = _submit(client)
    assert counts["no_answer"] == 1 and counts["delivered"] == 1
    assert [r["case_id"] for r in list_submissions("in_doubt")] == [first]
    assert _delivery(second).kenmerk


def test_bulk_audit_events_keep_their_json_details_on_the_copy_path(db):
    from sbrflow.models.bulk import COPY_FROM, bulk_insert

    [case_id] = make_cases("001000044B37")
    rows = [tasks.audit(case_id, "digipoort_status", {"code": "105", "text": "it's \"quoted\""})
            for _ in range(COPY_FROM)]
    with unit_of_work() as session:
        bulk_insert(session, AuditEvent, rows)
    with unit_of_work() as session:
        details = session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "digipoort_status")).all()
    assert len(details) == COPY_FROM and details[0] == {"code": "105", "text": "it's \"quoted\""}
