"""send-messages' work: claim queued messages, send them over SMTP, mark each one.

Delivery promise: a message is marked `sent` in its own short transaction right after the SMTP server
accepted it. A crash before the server accepted it leaves the message claimed until the claim expires,
then it is sent (once). Only a crash in the moment between the server's acceptance and that commit can
send a message a second time — with the same Message-ID, so mail clients show it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prefect import task
from sqlalchemy.orm import Session

from sbrflow.config.settings import get_settings
from sbrflow.domain.messages import MessageReason, MessageState, redact_links, retry_delay
from sbrflow.integrations.mail import (
    MailConfigurationError,
    OutgoingMail,
    PermanentMailError,
    SmtpMailer,
    SmtpSettings,
    TransientMailError,
)
from sbrflow.models import Case
from sbrflow.models.db import get_engine, unit_of_work
from sbrflow.models.messages import Message
from sbrflow.tasks.messages import cancel_obsolete, relatiebeheerder_member

# How long a sender's claim on a batch lasts; a crashed run's messages become sendable after it.
# A run stops sending from a batch after half of it and claims afresh, so a live claim never expires.
CLAIM_LEASE = timedelta(minutes=10)


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
