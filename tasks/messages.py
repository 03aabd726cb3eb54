"""The outbox: queue a message in the caller's transaction, cancel the ones whose reason has gone, list them.

Sending is tasks/sending.py.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.config.message_texts import MessageTexts, dutch_date, get_message_texts
from sbrflow.config.settings import get_settings
from sbrflow.domain.enums import Role
from sbrflow.domain.messages import (
    FOR_APPROVAL_REQUEST,
    PRODUCT_NAMES,
    STILL_NEEDED_WHILE,
    MessageReason,
    MessageState,
    RecipientKind,
    mail_domain,
    redact_links,
)
from sbrflow.models import ApprovalRequest, Case, Client, Person, RoleAssignment, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.messages import Message


def _insert_ignoring_duplicates(session: Session):
    # The same message made twice (a rerun, two workers) is one message: skip it on its dedup_key.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Message.__table__).on_conflict_do_nothing(index_elements=["dedup_key"])


def new_message_id(reason: MessageReason, domain: str) -> str:
    """A fresh RFC 5322 Message-ID, fixed for the life of the message."""
    return f"<sbrflow.{reason.value}.{uuid.uuid4().hex}@{domain}>"


def message_row(*, reason: MessageReason, dedup_key: str, recipient: str, values: dict[str, Any],
                recipient_kind: RecipientKind, case_id: int | None = None, approval_request_id: int | None = None,
                person_id: int | None = None, team_member_id: int | None = None, due_on: date | None = None,
                texts: MessageTexts | None = None, domain: str | None = None) -> dict[str, Any]:
    """One outbox row with its texts rendered (for bulk queueing)."""
    rendered = (texts or get_message_texts()).render(reason, values)
    return {
        "dedup_key": dedup_key, "message_id": new_message_id(reason, domain or mail_domain(get_settings().mail_from)),
        "reason": reason, "state": MessageState.QUEUED, "case_id": case_id, "approval_request_id": approval_request_id,
        "recipient_kind": recipient_kind, "person_id": person_id, "team_member_id": team_member_id,
        "recipient": recipient, "subject": rendered.subject, "body_text": rendered.body_text,
        "body_html": rendered.body_html, "due_on": due_on, "attempts": 0,
    }


def queue_messages(session: Session, rows: list[dict[str, Any]]) -> int:
    """Add rows (from `message_row`) to the outbox in the session's transaction; duplicates are skipped.

    Returns how many were new.
    """
    if not rows:
        return 0
    keys = sorted({r["dedup_key"] for r in rows})
    before = sum(session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.dedup_key.in_(keys[i:i + 10_000]))) for i in range(0, len(keys), 10_000))  # SQLite's bind limit
    session.execute(_insert_ignoring_duplicates(session), rows)
    return len(keys) - before


def queue_message(session: Session, *, reason: MessageReason, dedup_key: str, recipient: str,
                  values: dict[str, Any], recipient_kind: RecipientKind, case_id: int | None = None,
                  approval_request_id: int | None = None, person_id: int | None = None,
                  team_member_id: int | None = None, due_on: date | None = None) -> bool:
    """Queue one message in the caller's transaction (so it exists exactly when the change that causes it
    is committed). `dedup_key` is its identity: queueing it again is a no-op. True when it is new."""
    row = message_row(reason=reason, dedup_key=dedup_key, recipient=recipient, values=values,
                      recipient_kind=recipient_kind, case_id=case_id, approval_request_id=approval_request_id,
                      person_id=person_id, team_member_id=team_member_id, due_on=due_on)
    return queue_messages(session, [row]) == 1


def person_name(person: Person | None) -> str:
    """How a message addresses a contact: `Piet Jansen`, `P. van der Berg`."""
    if person is None:
        return "heer/mevrouw"
    parts = [person.first_name or person.initials, person.name_prefix, person.last_name]
    return " ".join(p for p in parts if p)


def queue_approval_message(session: Session, request: ApprovalRequest, url: str | None) -> bool:
    """The client's mail for a new approval request, in the caller's transaction: the workflow template's
    own sbr.message (already filled in on the request) with the link (none for information only)."""
    from sbrflow.domain.approval import Presentation

    case = session.get(Case, request.case_id)
    client = session.get(Client, case.client_id)
    person = session.get(Person, request.recipient_person_id) if request.recipient_person_id else None
    informing = request.presentation is Presentation.INFORMATION
    values = {"recipient_name": person_name(person), "client_name": client.name,
              "product_name": PRODUCT_NAMES[case.product], "period_label": case.period_label,
              "deadline": dutch_date(case.deadline_effective) or "-", "case_ref": case.id,
              "sbr_message": request.message}
    if not informing:
        values |= {"approval_url": url, "presentation": request.presentation.value,
                   "expires_on": dutch_date(request.expires_at.date())}
    return queue_message(
        session, reason=MessageReason.CLIENT_INFORMATION if informing else MessageReason.APPROVAL_REQUEST,
        dedup_key=f"approval_request:{request.id}", recipient=request.recipient_email, values=values,
        recipient_kind=RecipientKind.CONTACT, case_id=case.id, approval_request_id=request.id,
        person_id=request.recipient_person_id)


def relatiebeheerder_member(case_product, client_id_column):
    """A correlated scalar: the active team member holding relatiebeheerder for the case's client and product
    (the product's own assignment wins over the general one)."""
    override = (sa.select(RoleAssignment.team_member_id)
                .where(RoleAssignment.client_id == client_id_column, RoleAssignment.role == Role.RELATIEBEHEERDER,
                       RoleAssignment.product == case_product).scalar_subquery())
    general = (sa.select(RoleAssignment.team_member_id)
               .where(RoleAssignment.client_id == client_id_column, RoleAssignment.role == Role.RELATIEBEHEERDER,
                      RoleAssignment.product.is_(None)).scalar_subquery())
    return sa.func.coalesce(override, general)


def cancel_obsolete(session: Session, now: datetime) -> int:
    """Cancel queued messages whose reason has gone (the case moved on, e.g. the client approved)."""
    cancelled = 0
    for reason, needed in STILL_NEEDED_WHILE.items():
        moved_on = sa.select(Case.id).where(Case.state.not_in(list(needed)))
        cancelled += session.execute(
            sa.update(Message)
            .where(Message.state == MessageState.QUEUED, Message.reason == reason, Message.case_id.in_(moved_on),
                   sa.or_(Message.claimed_until.is_(None), Message.claimed_until < now))
            .values(state=MessageState.CANCELLED, last_error="cancelled: its reason has gone (the case moved on)",
                    updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    from sbrflow.domain.approval import RequestState

    closed = sa.select(ApprovalRequest.id).where(
        sa.or_(ApprovalRequest.state != RequestState.OPEN, ApprovalRequest.expires_at < now))
    cancelled += session.execute(
        sa.update(Message)
        .where(Message.state == MessageState.QUEUED, Message.reason.in_(list(FOR_APPROVAL_REQUEST)),
               Message.approval_request_id.in_(closed),
               sa.or_(Message.claimed_until.is_(None), Message.claimed_until < now))
        .values(state=MessageState.CANCELLED, updated_at=now,
                last_error="cancelled: the approval request was decided, replaced or expired")
        .execution_options(synchronize_session=False)
    ).rowcount
    if cancelled:
        _redact_cancelled(session, now)
    return cancelled


def _redact_cancelled(session: Session, now: datetime) -> None:
    """Remove the approval links from the client messages just cancelled (they never left the outbox)."""
    for message in session.scalars(sa.select(Message).where(
            Message.reason == MessageReason.APPROVAL_REQUEST, Message.state == MessageState.CANCELLED,
            Message.updated_at == now)):
        message.body_text, message.body_html = redact_links(message.body_text), redact_links(message.body_html)


def list_messages(*, state: MessageState | None = None, case_id: int | None = None, limit: int | None = None,
                  work_list_of: str | None = None) -> list[dict[str, Any]]:
    """The outbox, newest first: what was made, for whom, and where it stands.

    work_list_of: only the failed/cancelled messages in this team member's (code) work list."""
    with unit_of_work() as session:
        query = (sa.select(Message, TeamMember.code).outerjoin(TeamMember, TeamMember.id == Message.attention_member_id)
                 .order_by(Message.id.desc()))
        if state is not None:
            query = query.where(Message.state == state)
        if case_id is not None:
            query = query.where(Message.case_id == case_id)
        if work_list_of is not None:
            query = query.where(TeamMember.code == work_list_of)
        if limit:
            query = query.limit(limit)
        return [_as_dict(m, code) for m, code in session.execute(query)]


def _as_dict(m: Message, attention: str | None) -> dict[str, Any]:
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {"id": m.id, "reason": m.reason.value, "state": m.state.value, "case_id": m.case_id,
            "recipient": m.recipient, "subject": m.subject, "message_id": m.message_id, "attempts": m.attempts,
            "last_error": m.last_error, "created_at": iso(m.created_at), "sent_at": iso(m.sent_at),
            "next_attempt_at": iso(m.next_attempt_at), "due_on": iso(m.due_on), "work_list_of": attention}


def read_failed_since(since: datetime, limit: int) -> tuple[list[str], int]:
    """Messages failed since `since` (a send-messages run's start): the first `limit` as `1002 vat_return 2026-10`
    (the case's client, product and period) or `message <id>` (a staff digest), and how many failed."""
    from sbrflow.domain.messages import MessageState

    failed = sa.and_(Message.state == MessageState.FAILED, Message.updated_at >= since)
    with unit_of_work() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(Message).where(failed)) or 0
        rows = session.execute(
            sa.select(Message.id, Client.client_number, Case.product, Case.period_label)
            .outerjoin(Case, Case.id == Message.case_id).outerjoin(Client, Client.id == Case.client_id)
            .where(failed).order_by(Client.client_number, Message.id).limit(limit)).all()
    return [f"{number} {product.value if hasattr(product, 'value') else product} {label}" if number
            else f"message {message_id}" for message_id, number, product, label in rows], total
