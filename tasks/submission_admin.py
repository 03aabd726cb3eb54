"""What a person does with submissions: list them, resubmit a failed one, close a submitted case."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from sbrflow.domain import digipoort as codes
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.errors import NotFound, SubmissionError
from sbrflow.models import AuditEvent, Case, Client, TeamMember
from sbrflow.models.bulk import bulk_insert
from sbrflow.models.db import unit_of_work
from sbrflow.models.submission import DeliveryState, Submission
from sbrflow.tasks.submission import NO_ANSWER, UNAVAILABLE, audit, utcnow

IN_DOUBT = "in_doubt"  # the list filter for deliveries left `sending` without a kenmerk
LIST_STATES = (IN_DOUBT, CaseState.SUBMITTING.value, CaseState.SUBMITTED.value,
               CaseState.SUBMISSION_FAILED.value, CaseState.CLOSED.value)


def _in_doubt() -> sa.ColumnElement:
    # Sent (or about to be) with no kenmerk and not certainly unreceived: a person must check Digipoort.
    return sa.and_(Submission.state == DeliveryState.SENDING, Submission.kenmerk.is_(None),
                   sa.or_(Submission.error_code.is_(None), Submission.error_code == NO_ANSWER))


def list_submissions(state: str | None = None, limit: int = 1000, member: str | None = None) -> list[dict]:
    """The latest delivery per case: case, client, kenmerk, last status code and text, at (newest first).

    `member`: only deliveries made on behalf of this team member (their work list of failures).
    """
    if state is not None and state not in LIST_STATES:
        raise SubmissionError(f"--state {state!r} is not one of {', '.join(LIST_STATES)}")
    latest = (sa.select(sa.func.max(Submission.id)).group_by(Submission.case_id)).scalar_subquery()
    query = (sa.select(Submission, Case.state, Case.product, Case.period_label, Client.client_number,
                       TeamMember.code)
             .join(Case, Case.id == Submission.case_id).join(Client, Client.id == Case.client_id)
             .outerjoin(TeamMember, TeamMember.id == Submission.on_behalf_of_id)
             .where(Submission.id.in_(latest)).order_by(Submission.id.desc()).limit(limit))
    if member is not None:
        query = query.where(TeamMember.code == member)
    if state == IN_DOUBT:
        query = query.where(_in_doubt())
    elif state is not None:
        query = query.where(Case.state == state)
    with unit_of_work() as session:
        rows = session.execute(query).all()
    result = []
    for sub, case_state, product, period, number, member in rows:
        code = sub.last_status_code or sub.error_code
        result.append({
            "case_id": sub.case_id, "client_number": number, "product": product.value, "period": period,
            "case_state": case_state.value, "delivery_state": sub.state.value, "reference": sub.reference,
            "kenmerk": sub.kenmerk, "on_behalf_of": member,
            "status_code": sub.last_status_code, "status_text": sub.last_status_text,
            "at": (sub.last_status_at or sub.delivered_at or sub.claimed_at).isoformat(),
            "error_code": sub.error_code if sub.error_code not in (UNAVAILABLE, NO_ANSWER) else None,
            "error_meaning": sub.error_text if sub.state in (DeliveryState.FAILED, DeliveryState.REFUSED) else None,
            "in_doubt": sub.state == DeliveryState.SENDING and sub.kenmerk is None and sub.error_code != UNAVAILABLE,
            "meaning": codes.meaning(code) if code and code not in (UNAVAILABLE, NO_ANSWER, "hash_mismatch") else None,
        })
    return result


def _member(session, code: str) -> TeamMember:
    member = session.scalar(sa.select(TeamMember).where(TeamMember.code == code))
    if member is None:
        raise NotFound(f"no team member with code {code!r}")
    return member


def _case(session, case_id: int) -> Case:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case with id {case_id} (see: sbrflow submissions list)")
    return case


def resubmit(case_id: int, by: str, now: datetime | None = None) -> dict:
    """Put a failed case, or one whose delivery is in doubt, back to `approved` for the next submit run.

    For a case in doubt the person confirms having checked Digipoort: it did not receive it.
    """
    now = now or utcnow()
    with unit_of_work() as session:
        member = _member(session, by)
        case = _case(session, case_id)
        last = session.scalar(sa.select(Submission).where(Submission.case_id == case_id)
                              .order_by(Submission.attempt.desc()).limit(1))
        in_doubt = (case.state == CaseState.SUBMITTING and last is not None and last.kenmerk is None
                    and last.state == DeliveryState.SENDING)
        if case.state != CaseState.SUBMISSION_FAILED and not in_doubt:
            raise SubmissionError(f"case {case_id} is {case.state.value}; only a submission_failed case, or a "
                                  "submitting one without kenmerk, can be resubmitted")
        if in_doubt:
            last.state, last.error_text = DeliveryState.FAILED, f"not received by Digipoort, checked by {member.code}"
        case.state = CaseState.APPROVED
        bulk_insert(session, AuditEvent, [audit(case_id, "resubmit_requested",
                                                {"previous_reference": last.reference if last else None,
                                                 "was_in_doubt": in_doubt}, actor=member.code, at=now)])
        return {"case_id": case_id, "state": case.state.value, "by": member.code}


def close_case(case_id: int, by: str, now: datetime | None = None) -> dict:
    """Close a submitted case by hand (templates that do not close automatically)."""
    now = now or utcnow()
    with unit_of_work() as session:
        member = _member(session, by)
        case = _case(session, case_id)
        if case.state != CaseState.SUBMITTED:
            raise SubmissionError(f"case {case_id} is {case.state.value}; only a submitted case can be closed")
        case.state = CaseState.CLOSED
        bulk_insert(session, AuditEvent, [audit(case_id, "closed", {"automatically": False},
                                                actor=member.code, at=now)])
        template_plans_next = _plans_next(case)
        if template_plans_next:
            from sbrflow.tasks.submission import plan_next

            row = session.execute(sa.select(Case.id, Case.product, Case.frequency, Case.quarter_start_month,
                                            Case.period_end, Client.client_number)
                                  .join(Client, Client.id == Case.client_id).where(Case.id == case_id)).one()
            plan_next(session, [row], now)
        return {"case_id": case_id, "state": case.state.value, "by": member.code}


def _plans_next(case: Case) -> bool:
    from sbrflow.config.settings import get_settings
    from sbrflow.config.workflows import load_templates

    template = {t.product: t for t in load_templates(get_settings().workflows_dir).values()}.get(case.product)
    return bool(template and template.sbr.plan_next_on_close)
