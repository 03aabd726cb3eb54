"""Submission: claim approved cases, send the approved bytes to Digipoort once, store the kenmerk.

Never twice. A batch of cases is claimed in one short transaction — `SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL, then `UPDATE … WHERE state = 'approved' RETURNING id` on both backends — that
moves them to `submitting` and writes a delivery row with our own reference (aanleverkenmerk); it
commits before Digipoort is called. Each answer is committed right after its call. A delivery left
`sending` without a kenmerk (a crash, no answer in time) is never sent again automatically: it is
listed (`submissions list --state in_doubt`) for a person, who checks Digipoort and resubmits or not.
Only a delivery Digipoort certainly did not receive (HTTP 503, connection refused) is sent again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, undefer

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import load_templates
from sbrflow.domain import submission as rules
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Product
from sbrflow.domain.errors import NotFound, SubmissionError
from sbrflow.integrations.digipoort.base import Delivery, Digipoort, DigipoortUnavailable, Envelope, Fault
from sbrflow.integrations.digipoort.messages import UnreadableMessage
from sbrflow.models import AuditEvent, Case, CaseDocument, Client, RoleAssignment, TaxReturnDocument
from sbrflow.models.bulk import bulk_insert
from sbrflow.models.db import unit_of_work
from sbrflow.models.submission import DeliveryState, Submission
from sbrflow.tasks.approval import approved_hashes
from sbrflow.tasks.intake import read_document_bytes

log = logging.getLogger(__name__)
UNAVAILABLE = "unavailable"  # error_code of a delivery Digipoort certainly did not receive: may be sent again
NO_ANSWER = "no_answer"  # error_code of a delivery whose call got no answer: in doubt, a person checks
ACTOR = "sbrflow"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# The case state an event leaves the case in (routing's history shows `to` for every move).
_TO_STATE = {"submission_claimed": "submitting", "submission_failed": "submission_failed",
             "submission_refused": "submission_failed", "submitted": "submitted", "closed": "closed",
             "approved": "approved", "resubmit_requested": "approved"}


def audit(case_id: int, action: str, details: dict, *, actor: str = ACTOR, at: datetime | None = None) -> dict:
    """One audit_event row (as a dict for bulk_insert) about a case, in the shape routing's history reads."""
    return {"occurred_at": at or utcnow(), "actor": actor, "action": action, "subject_type": "tax_case",
            "subject_id": case_id, "case_id": case_id, "to_state": _TO_STATE.get(action), "details": details}


def submitting_products() -> dict[Product, object]:
    """Product → its template's role that submits (sbr.on_behalf_of), for templates that submit at all."""
    templates = load_templates(get_settings().workflows_dir)
    return {Product(t.product): t.sbr.on_behalf_of for t in templates.values()
            if rules.submits(t.product, t.sbr.presentation.value)}


def _holder(product: Product, role) -> tuple[sa.ColumnElement, list]:
    """The team member holding `role` for the case's client: the product's override wins over the general one."""
    own, general = aliased(RoleAssignment), aliased(RoleAssignment)
    joins = [
        (own, sa.and_(own.client_id == Case.client_id, own.role == role, own.product == product)),
        (general, sa.and_(general.client_id == Case.client_id, general.role == role, general.product.is_(None))),
    ]
    return sa.func.coalesce(own.team_member_id, general.team_member_id), joins


def claim(session: Session, limit: int, now: datetime, case_id: int | None = None) -> list[int]:
    """Move up to `limit` approved cases to `submitting` with a delivery row each; their submission ids."""
    claimed: list[int] = []
    for product, role in submitting_products().items():
        if len(claimed) >= limit:
            break
        holder, joins = _holder(product, role)
        query = (sa.select(Case.id, CaseDocument.document_id, TaxReturnDocument.sha256,
                           sa.func.coalesce(TaxReturnDocument.fiscal_id, Client.ob_number), holder)
                 .join(Client, Client.id == Case.client_id)
                 .join(CaseDocument, sa.and_(CaseDocument.case_id == Case.id, CaseDocument.is_current))
                 .join(TaxReturnDocument, TaxReturnDocument.id == CaseDocument.document_id))
        for alias, on in joins:
            query = query.outerjoin(alias, on)
        if case_id is not None:
            query = query.where(Case.id == case_id)
        query = (query.where(Case.state == CaseState.APPROVED, Case.product == product)
                 .order_by(Case.id).limit(limit - len(claimed)).with_for_update(of=Case, skip_locked=True))
        rows = {r[0]: r for r in session.execute(query)}
        if not rows:
            continue
        # The conditional UPDATE is the claim on SQLite too (no row locks there): only one writer wins.
        won = session.scalars(sa.update(Case).where(Case.id.in_(rows), Case.state == CaseState.APPROVED)
                              .values(state=CaseState.SUBMITTING, updated_at=now).returning(Case.id)).all()
        attempts = dict(session.execute(sa.select(Submission.case_id, sa.func.max(Submission.attempt))
                                        .where(Submission.case_id.in_(won)).group_by(Submission.case_id)).all())
        deliveries, events = [], []
        for case_id in sorted(won):
            _, document_id, sha, fiscal_id, member_id = rows[case_id]
            attempt = attempts.get(case_id, 0) + 1
            reference = f"sbrflow-{case_id}-{attempt}"
            deliveries.append({"case_id": case_id, "attempt": attempt, "reference": reference,
                               "document_id": document_id, "document_sha256": sha, "on_behalf_of_id": member_id,
                               "berichtsoort": rules.BERICHTSOORT[product], "fiscal_id": fiscal_id or "",
                               "state": DeliveryState.SENDING.value, "claimed_at": now})
            events.append(audit(case_id, "submission_claimed",
                                {"reference": reference, "on_behalf_of_id": member_id, "document_sha256": sha},
                                at=now))
        bulk_insert(session, Submission, deliveries)
        bulk_insert(session, AuditEvent, events)
        claimed += session.scalars(sa.select(Submission.id).where(
            Submission.reference.in_([d["reference"] for d in deliveries])).order_by(Submission.id)).all()
    return claimed


def claim_batch(limit: int | None = None, now: datetime | None = None, case_id: int | None = None) -> list[int]:
    """Claim one batch (its own transaction, committed before anything is sent); or only `case_id`."""
    with unit_of_work() as session:
        if case_id is not None:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"no case with id {case_id}")
            if case.state != CaseState.APPROVED:
                raise SubmissionError(f"case {case_id} is {case.state.value}; only an approved case is submitted")
        claimed = claim(session, limit or get_settings().submission_batch_size, now or utcnow(), case_id)
        if case_id is not None and not claimed:
            raise SubmissionError(f"case {case_id} cannot be submitted: its template does not submit, or it has "
                                  "no current document")
        return claimed


def resendable(limit: int | None = None) -> list[int]:
    """Deliveries Digipoort certainly did not receive (503, refused connection): they may be sent again."""
    with unit_of_work() as session:
        return session.scalars(sa.select(Submission.id).where(
            Submission.state == DeliveryState.SENDING, Submission.kenmerk.is_(None),
            Submission.error_code == UNAVAILABLE).order_by(Submission.id)
            .limit(limit or get_settings().submission_batch_size)).all()


def send_batch(submission_ids: Sequence[int], client: Digipoort, clock: Callable[[], datetime] = utcnow) -> dict:
    """Send each claimed delivery once; commit each answer right after its call. Counts per outcome."""
    counts = {"delivered": 0, "failed": 0, "refused": 0, "unavailable": 0, "no_answer": 0}
    failed_cases: list[int] = []  # refused or failed: the run's artifact names their clients
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(Submission.id, Submission.case_id, Submission.reference, Submission.berichtsoort,
                      Submission.fiscal_id, Submission.document_sha256, CaseDocument.document_id)
            .outerjoin(CaseDocument, sa.and_(CaseDocument.case_id == Submission.case_id, CaseDocument.is_current))
            .where(Submission.id.in_(submission_ids), Submission.state == DeliveryState.SENDING,
                   Submission.kenmerk.is_(None),
                   # Not tried yet in this batch, or certainly not received; never a `no_answer` one.
                   sa.or_(Submission.error_code.is_(None), Submission.error_code == UNAVAILABLE))
            .order_by(Submission.id)).all()
    documents = _documents([r.document_id for r in rows if r.document_id is not None])
    with unit_of_work() as session:  # the hash the client approved, where the case went to its client
        approved = approved_hashes(session, [r.case_id for r in rows])
    for sid, case_id, reference, berichtsoort, fiscal_id, claimed_sha, current_doc_id in rows:
        document = documents.get(current_doc_id)
        data = read_document_bytes(document) if document else b""
        # The bytes sent are the bytes approved: hash them right before sending.
        stored = hashlib.sha256(data).hexdigest()
        refusal = ("the case has no current document" if document is None
                   else rules.hash_refusal(stored, document.sha256, approved.get(case_id, claimed_sha)))
        if refusal:
            _store(sid, case_id, None, refusal, clock())
            counts["refused"] += 1
            failed_cases.append(case_id)
            continue
        envelope = Envelope(berichtsoort=berichtsoort, aanleverkenmerk=reference, fiscal_id=fiscal_id,
                            file_name=f"{reference}.xml")
        try:
            answer = client.submit(data, envelope)
        except DigipoortUnavailable as exc:
            answer = exc
        except UnreadableMessage as exc:  # an answer we cannot read: it may have been received
            answer = DigipoortUnavailable(f"unreadable answer: {exc}", not_received=False)
        outcome = _store(sid, case_id, answer, None, clock())
        counts[outcome] += 1
        if outcome == "failed":
            failed_cases.append(case_id)
    return {**counts, "failed_cases": failed_cases}


def _documents(ids: list[int]) -> dict[int, TaxReturnDocument]:
    """The batch's current documents with their bytes, in one query."""
    if not ids:
        return {}
    with unit_of_work() as session:
        docs = session.scalars(sa.select(TaxReturnDocument).options(undefer(TaxReturnDocument.content))
                               .where(TaxReturnDocument.id.in_(ids))).all()
        return {d.id: d for d in docs}


def _store(sid: int, case_id: int, answer, refusal: str | None, now: datetime) -> str:
    """Commit one delivery's outcome: kenmerk, fault, refusal, or trouble; returns the outcome's name."""
    with unit_of_work() as session:
        values: dict = {"updated_at": now}
        events = []
        case_state = None
        if isinstance(answer, Delivery):
            values |= {"state": DeliveryState.DELIVERED, "kenmerk": answer.kenmerk, "delivered_at": answer.at or now,
                       "error_code": None, "error_text": None}
            events.append(audit(case_id, "submission_delivered", {"kenmerk": answer.kenmerk}, at=now))
            outcome = "delivered"
        elif isinstance(answer, Fault):
            values |= {"state": DeliveryState.FAILED, "delivered_at": now, "error_code": answer.code,
                       "error_text": answer.description, "last_status_code": answer.code,
                       "last_status_text": answer.description[:300], "last_status_at": now}
            case_state = CaseState.SUBMISSION_FAILED
            events.append(audit(case_id, "submission_failed", {"code": answer.code, "description": answer.description,
                                                               "meaning": rules.codes.meaning(answer.code)}, at=now))
            outcome = "failed"
        elif isinstance(answer, DigipoortUnavailable):
            # A 503 or a refused connection never reached Digipoort; a timeout may have: in doubt.
            certain = answer.not_received
            values |= {"error_code": UNAVAILABLE if certain else NO_ANSWER, "error_text": str(answer)[:500],
                       "delivered_at": None if certain else now}
            outcome = "unavailable" if certain else "no_answer"
        else:
            values |= {"state": DeliveryState.REFUSED, "error_code": "hash_mismatch", "error_text": refusal}
            case_state = CaseState.SUBMISSION_FAILED
            events.append(audit(case_id, "submission_refused", {"reason": refusal}, at=now))
            outcome = "refused"
        session.execute(sa.update(Submission).where(Submission.id == sid).values(**values))
        if case_state is not None:
            session.execute(sa.update(Case).where(Case.id == case_id, Case.state == CaseState.SUBMITTING)
                            .values(state=case_state, updated_at=now))
        if events:
            bulk_insert(session, AuditEvent, events)
    return outcome


# --- following -----------------------------------------------------------------------------------

def open_deliveries(after_id: int = 0, limit: int | None = None) -> list[int]:
    """Ids of deliveries with a kenmerk and no final status yet, after `after_id` (keyset paging)."""
    with unit_of_work() as session:
        return session.scalars(sa.select(Submission.id).where(
            Submission.state == DeliveryState.DELIVERED, Submission.id > after_id)
            .order_by(Submission.id).limit(limit or get_settings().submission_batch_size)).all()


def follow_batch(submission_ids: Sequence[int], client: Digipoort, now: datetime | None = None) -> dict:
    """Ask the new statuses of these deliveries; store each in the audit trail; decide the cases."""
    now = now or utcnow()
    counts = {"asked": 0, "accepted": 0, "failed": 0, "following": 0, "unavailable": 0}
    failed_cases: list[int] = []  # failed for good: the run's artifact names their clients
    with unit_of_work() as session:
        rows = session.execute(sa.select(Submission.id, Submission.case_id, Submission.kenmerk,
                                         Submission.last_status_at, Submission.retrying_since)
                               .where(Submission.id.in_(submission_ids),
                                      Submission.state == DeliveryState.DELIVERED)).all()
    answers = []
    for sid, case_id, kenmerk, last_at, retrying_since in rows:
        counts["asked"] += 1
        retrying_since = _aware(retrying_since)
        try:
            answers.append((sid, case_id, kenmerk, retrying_since, client.statuses(kenmerk, last_at)))
        except (DigipoortUnavailable, UnreadableMessage):
            counts["unavailable"] += 1  # asked again next time: asking twice is harmless
    accepted: list[int] = []
    with unit_of_work() as session:
        events = []
        for sid, case_id, kenmerk, retrying_since, answer in answers:
            if isinstance(answer, Fault):
                events.append(audit(case_id, "digipoort_status_fault",
                                    {"kenmerk": kenmerk, "code": answer.code, "description": answer.description},
                                    actor="digipoort", at=now))
                session.execute(sa.update(Submission).where(Submission.id == sid).values(last_checked_at=now))
                counts["following"] += 1
                continue
            statuses = answer.statuses
            for st in statuses:
                events.append(audit(case_id, "digipoort_status",
                                    {"kenmerk": kenmerk, "code": st.code, "description": st.description,
                                     "at": st.at.isoformat() if st.at else None, "error_code": st.error_code,
                                     "error_description": st.error_description}, actor="digipoort", at=st.at or now))
            verdict = rules.judge([(s.code, s.at, s.error_code, s.error_description) for s in statuses],
                                  retrying_since, now)
            values: dict = {"last_checked_at": now, "retrying_since": verdict.retrying_since, "updated_at": now}
            if statuses:
                last = statuses[-1]
                values |= {"last_status_code": last.code, "last_status_text": (last.description or "")[:300],
                           "last_status_at": last.at or now}
            if verdict.outcome is rules.codes.Outcome.ACCEPTED:
                values["state"] = DeliveryState.ACCEPTED
                accepted.append(case_id)
                counts["accepted"] += 1
            elif verdict.outcome is rules.codes.Outcome.FAILED:
                values |= {"state": DeliveryState.FAILED, "error_code": verdict.error_code,
                           "error_text": verdict.error_text}
                session.execute(sa.update(Case).where(Case.id == case_id, Case.state == CaseState.SUBMITTING)
                                .values(state=CaseState.SUBMISSION_FAILED, updated_at=now))
                events.append(audit(case_id, "submission_failed", {"kenmerk": kenmerk, "code": verdict.error_code,
                                                                   "meaning": verdict.error_text}, at=now))
                counts["failed"] += 1
                failed_cases.append(case_id)
            else:
                counts["following"] += 1
            session.execute(sa.update(Submission).where(Submission.id == sid).values(**values))
        if accepted:
            counts["closed"] = _accept(session, accepted, now, events)
        bulk_insert(session, AuditEvent, events)
    return {**counts, "failed_cases": failed_cases}


def _accept(session: Session, case_ids: list[int], now: datetime, events: list[dict]) -> int:
    """Status 500: the cases are submitted; closed when their template says so, next period made sure of."""
    session.execute(sa.update(Case).where(Case.id.in_(case_ids), Case.state == CaseState.SUBMITTING)
                    .values(state=CaseState.SUBMITTED, updated_at=now))
    events += [audit(case_id, "submitted", {}, at=now) for case_id in case_ids]
    templates = {t.product: t for t in load_templates(get_settings().workflows_dir).values()}
    closing = [c for c in session.execute(
        sa.select(Case.id, Case.product, Case.frequency, Case.quarter_start_month, Case.period_end,
                  Client.client_number).join(Client, Client.id == Case.client_id).where(Case.id.in_(case_ids)))
        if templates.get(c.product) is not None and templates[c.product].sbr.close_automatically]
    if closing:
        session.execute(sa.update(Case).where(Case.id.in_([c.id for c in closing]), Case.state == CaseState.SUBMITTED)
                        .values(state=CaseState.CLOSED, updated_at=now))
        events += [audit(c.id, "closed", {"automatically": True}, at=now) for c in closing]
        plan_next(session, [c for c in closing if templates[c.product].sbr.plan_next_on_close], now)
    return len(closing)


def plan_next(session: Session, cases: Sequence, now: datetime) -> int:
    """Make sure the next period's case exists for each closed case (planning's own pass, per period)."""
    from sbrflow.domain.periods import period_for
    from sbrflow.tasks.planning import Scope, plan

    groups: dict[tuple, list[str]] = {}
    for c in cases:
        following = period_for(c.frequency, c.period_end + timedelta(days=1), c.quarter_start_month)
        groups.setdefault((Product(c.product), following), []).append(c.client_number)
    created = 0
    for (product, period), numbers in groups.items():
        result = plan(session, Scope(run_date=now.date(), products=frozenset({product}), period=period,
                                     client_numbers=tuple(sorted(set(numbers)))))
        created += result["totals"]["created"]
    return created
