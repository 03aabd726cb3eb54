"""The outbox: queue a message in the caller's transaction; claim, send and mark queued messages.

Delivery promise: a message is marked `sent` in its own short transaction right after the SMTP server
accepted it. A crash before the server accepted it leaves the message claimed until the claim expires,
then it is sent (once). Only a crash in the moment between the server's acceptance and that commit can
send a message a second time — with the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prefect import task
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
    retry_delay,
)
from sbrflow.integrations.mail import (
    MailConfigurationError,
    OutgoingMail,
    PermanentMailError,
    SmtpMailer,
    SmtpSettings,
    TransientMailError,
)
from sbrflow.models import ApprovalRequest, Case, Client, Person, RoleAssignment, TeamMember
from sbrflow.models.db import get_engine, unit_of_work
from sbrflow.models.messages import Message

# How long a sender's claim on a batch lasts; a crashed run's messages become sendable after it.
# A run stops sending from a batch after half of it and claims afresh, so a live claim never expires.
CLAIM_LEASE = timedelta(minutes=10)


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
                  approval_request_id: int | None = None, person_id: int | None = None, team_member_id: int | None = None,
                  due_on: date | None = None) -> bool:
    """Queue one message in the caller's transaction (so it exists exactly when the change that causes it
    is committed). `dedup_key` is its identity: queueing it again is a no-op. True when it is new."""
    row = message_row(reason=reason, dedup_key=dedup_key, recipient=recipient, values=values,
                      recipient_kind=recipient_kind, case_id=case_id, approval_request_id=approval_request_id, person_id=person_id,
                      team_member_id=team_member_id, due_on=due_on)
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


@dataclass(frozen=True)
class Claimed:
    """A message a sender run took to send."""

    id: int
    mail: OutgoingMail
    attempts: int


def claim_batch(session: Session, now: datetime, size: int, token: str) -> list[Claimed]:
    """Take up to `size` sendable messages for this run (FOR UPDATE SKIP LOCKED on PostgreSQL, so
    parallel senders never take the same one); the caller commits the claim before sending."""
    sendable = (
        sa.select(Message.id)
        .where(Message.state == MessageState.QUEUED,
               sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
               sa.or_(Message.claimed_until.is_(None), Message.claimed_until < now))
        .order_by(Message.id).limit(size)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL; SQLite serialises writers anyway
    )
    session.execute(
        sa.update(Message).where(Message.id.in_(sendable))
        .values(claim_token=token, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        sa.select(Message.id, Message.message_id, Message.recipient, Message.subject, Message.body_text,
                  Message.body_html, Message.reason, Message.attempts)
        .where(Message.claim_token == token, Message.state == MessageState.QUEUED).order_by(Message.id)
    )
    return [Claimed(i, OutgoingMail(mid, to, subject, text, html, reason.value), attempts)
            for i, mid, to, subject, text, html, reason, attempts in rows]


def _finish(conn: sa.Connection, claimed: Claimed, token: str, **values: Any) -> None:
    # The stored copy of a client message keeps no approval link once it left the outbox: the token
    # lives only in the client's mailbox (a resend after a crash happens before this point).
    if claimed.mail.reason == MessageReason.APPROVAL_REQUEST.value and values.get("state") in (
            MessageState.SENT, MessageState.FAILED):
        values |= {"body_text": redact_links(claimed.mail.body_text), "body_html": redact_links(claimed.mail.body_html)}
    conn.execute(
        sa.update(Message.__table__)
        .where(Message.__table__.c.id == claimed.id, Message.__table__.c.claim_token == token)
        .values(claim_token=None, claimed_until=None, **values)
    )


def _attention_member(conn: sa.Connection, message_id: int) -> int | None:
    """The relatiebeheerder of the message's case: a failed message goes into their work list."""
    return conn.execute(
        sa.select(relatiebeheerder_member(Case.product, Case.client_id))
        .select_from(Message.__table__).join(Case, Case.id == Message.case_id).where(Message.id == message_id)
    ).scalar()


@dataclass
class SendSummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    batches: int = 0
    connection_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


MailerFactory = Callable[[SmtpSettings, str], SmtpMailer]


def send_queued(*, now: Callable[[], datetime] | None = None, smtp: SmtpSettings | None = None,
                batch_size: int | None = None, max_batches: int | None = None,
                mailer_factory: MailerFactory = SmtpMailer) -> dict[str, int]:
    """Send every sendable queued message, batch by batch, each batch over one SMTP connection."""
    settings = get_settings()
    clock = now or (lambda: datetime.now(UTC))
    smtp = smtp or SmtpSettings.from_settings()
    size = batch_size or settings.message_batch_size
    engine = get_engine()
    summary = SendSummary()
    with unit_of_work() as session:  # once per run: a run takes seconds, a reason goes away in days
        summary.cancelled += cancel_obsolete(session, clock())
    while max_batches is None or summary.batches < max_batches:
        token = uuid.uuid4().hex
        started = clock()
        with unit_of_work() as session:
            batch = claim_batch(session, started, size, token)
        if not batch:
            break
        summary.batches += 1
        if not _send_batch(engine, batch, token, smtp, settings, clock, started, summary, mailer_factory):
            break  # the server is unreachable: the rest waits for the next run
    return summary.as_dict()


def _send_batch(engine, batch: list[Claimed], token: str, smtp: SmtpSettings, settings, clock, started: datetime,
                summary: SendSummary, mailer_factory: MailerFactory) -> bool:
    """Send one claimed batch; False when the connection broke (the untried messages are released)."""
    pending = list(batch)  # claimed, not tried yet

    def release_pending() -> None:
        ids = [c.id for c in pending]
        pending.clear()
        if ids:
            table = Message.__table__
            with engine.begin() as conn:
                conn.execute(sa.update(table).where(table.c.id.in_(ids), table.c.claim_token == token)
                             .values(claim_token=None, claimed_until=None))

    def transient(claimed: Claimed, error: str) -> None:
        attempts = claimed.attempts + 1
        with engine.begin() as conn:
            if attempts >= settings.smtp_max_attempts:
                summary.failed += 1
                _finish(conn, claimed, token, state=MessageState.FAILED, attempts=attempts, updated_at=clock(),
                        last_error=f"gave up after {attempts} attempts: {error}",
                        attention_member_id=_attention_member(conn, claimed.id))
            else:
                summary.retried += 1
                _finish(conn, claimed, token, attempts=attempts, last_error=error, updated_at=clock(),
                        next_attempt_at=clock() + retry_delay(attempts, settings.smtp_retry_delay))

    try:
        mailer = mailer_factory(smtp, settings.mail_from).connect()
    except MailConfigurationError:
        release_pending()
        raise  # nothing can be sent until the settings are fixed: fail the run so someone looks
    except (TransientMailError, PermanentMailError) as exc:  # unreachable, or refused the session (554)
        summary.connection_errors += 1
        transient(pending.pop(0), str(exc))  # one attempt counted, so a dead server backs off
        release_pending()
        return False
    try:
        while pending:
            if clock() - started > CLAIM_LEASE / 2:
                break  # claim afresh rather than risk sending on an expired claim
            # In flight from here: should the process die now, this message keeps its claim and is sent
            # again when the claim expires (it may have been accepted: the at-most-twice window).
            claimed = pending.pop(0)
            try:
                mailer.send(claimed.mail, clock())
            except PermanentMailError as exc:
                summary.failed += 1
                with engine.begin() as conn:
                    _finish(conn, claimed, token, state=MessageState.FAILED, attempts=claimed.attempts + 1,
                            last_error=str(exc), updated_at=clock(),
                            attention_member_id=_attention_member(conn, claimed.id))
                continue
            except TransientMailError as exc:
                transient(claimed, str(exc))
                if exc.connection_lost:
                    summary.connection_errors += 1
                    return False
                continue
            # Accepted by the server: mark it at once, in its own transaction. PostgreSQL need not wait for
            # that commit to reach the disk: only a crash of the database server itself could lose the
            # mark, and then the message is sent once more with the same Message-ID (README).
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
                _finish(conn, claimed, token, state=MessageState.SENT, sent_at=clock(), last_error=None,
                        attempts=claimed.attempts + 1, updated_at=clock())
            summary.sent += 1
        return True
    finally:
        release_pending()  # whatever happened, the messages not tried yet are free again at once
        mailer.close()


@task(name="send-queued-messages")
def send_queued_messages(batch_size: int | None = None, smtp_host: str | None = None,
                         smtp_port: int | None = None) -> dict[str, int]:
    """Send the queued messages over SMTP; transient failures wait and retry, permanent ones are failed.

    smtp_host/smtp_port replace the settings' server (the demo's in-process server)."""
    smtp = None
    if smtp_host is not None:
        from dataclasses import replace

        smtp = replace(SmtpSettings.from_settings(), host=smtp_host, port=smtp_port or 25, starttls=False,
                       ssl=False, user=None, password=None)
    return send_queued(batch_size=batch_size, smtp=smtp)


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


def count_by_state(case_ids: Iterable[int] | None = None) -> dict[str, int]:
    """How many messages are in each state (optionally of some cases)."""
    with unit_of_work() as session:
        query = sa.select(Message.state, sa.func.count()).group_by(Message.state)
        if case_ids is not None:
            query = query.where(Message.case_id.in_(list(case_ids)))
        return {state.value: n for state, n in session.execute(query)}

