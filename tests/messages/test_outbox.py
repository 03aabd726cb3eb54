"""The outbox and its sender, against a real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.messages import MessageReason, MessageState, RecipientKind
from sbrflow.integrations.mail import MailConfigurationError, SmtpMailer
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work
from sbrflow.models.messages import Message
from sbrflow.tasks import messages as outbox
from sbrflow.tasks import sending

from .conftest import settings_for

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _values(**extra):
    return {"recipient_name": "Piet Jansen", "client_name": "Jansen Holding B.V.",
            "product_name": "aangifte omzetbelasting", "period_label": "2026-Q3", "deadline": "2 november 2026",
            "approval_url": "https://sbrflow.example/goedkeuren/abc", "case_ref": 1, "expires_on": "14 november 2026",
            "sbr_message": "Beste Jansen Holding B.V.,\n\nDe aangifte staat klaar.", "presentation": "approval", **extra}


def _queue(office, key="approval:1", recipient="piet@jansen.example", reason=MessageReason.APPROVAL_REQUEST):
    with unit_of_work() as session:
        return outbox.queue_message(session, reason=reason, dedup_key=key, recipient=recipient,
                                    values=_values(case_ref=office.case_id), recipient_kind=RecipientKind.CONTACT,
                                    case_id=office.case_id, person_id=office.person_id)


def _messages():
    with unit_of_work() as session:
        return session.scalars(sa.select(Message).order_by(Message.id)).all()


def test_a_message_is_queued_in_the_callers_transaction_and_only_once(office):
    assert _queue(office) is True
    assert _queue(office) is False  # same dedup key: no second message
    with pytest.raises(RuntimeError), unit_of_work() as session:
        outbox.queue_message(session, reason=MessageReason.APPROVAL_REQUEST, dedup_key="approval:2",
                             recipient="piet@jansen.example", values=_values(), recipient_kind=RecipientKind.CONTACT)
        raise RuntimeError("the change that caused it fails")
    [message] = _messages()
    assert message.state is MessageState.QUEUED and message.dedup_key == "approval:1"
    assert message.message_id.startswith("<sbrflow.approval_request.") and message.message_id.endswith("@localhost>")
    assert "Jansen" not in message.subject  # no client names in the subject line


def test_a_queued_message_is_sent_with_both_bodies_and_its_message_id(office, smtp_server):
    _queue(office)
    summary = sending.send_queued(smtp=settings_for(smtp_server), now=Clock())
    assert summary["sent"] == 1
    [mail] = smtp_server.received
    [message] = _messages()
    assert message.state is MessageState.SENT and message.sent_at is not None and message.attempts == 1
    assert mail.message_id == message.message_id
    assert mail.rcpt_tos == ["piet@jansen.example"]
    assert "https://sbrflow.example/goedkeuren/abc" in mail.text()
    assert 'href="https://sbrflow.example/goedkeuren/abc"' in mail.html()
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert sending.send_queued(smtp=settings_for(smtp_server), now=Clock())["sent"] == 0  # nothing twice
    assert len(smtp_server.received) == 1


def test_a_4xx_answer_is_retried_after_a_backoff(office, smtp_server):
    _queue(office)
    smtp_server.answer_next("451 4.3.0 Mailbox temporarily busy")
    clock = Clock()
    first = sending.send_queued(smtp=settings_for(smtp_server), now=clock)
    assert first["retried"] == 1 and first["sent"] == 0
    [message] = _messages()
    assert message.state is MessageState.QUEUED and message.attempts == 1
    assert message.last_error == "451 4.3.0 Mailbox temporarily busy"
    assert message.next_attempt_at.replace(tzinfo=None) == (T0 + timedelta(seconds=60)).replace(tzinfo=None)
    assert sending.send_queued(smtp=settings_for(smtp_server), now=clock)["sent"] == 0  # not due yet
    clock.now = T0 + timedelta(seconds=61)
    assert sending.send_queued(smtp=settings_for(smtp_server), now=clock)["sent"] == 1
    [message] = _messages()
    assert message.state is MessageState.SENT and message.attempts == 2 and message.last_error is None
    assert len(smtp_server.received) == 1


def test_a_5xx_answer_fails_the_message_with_the_servers_answer_in_the_relatiebeheerders_work_list(
        office, smtp_server):
    _queue(office, recipient="nobody@jansen.example")
    _queue(office, key="approval:other")
    smtp_server.refuse("nobody@jansen.example", "550 5.1.1 <nobody@jansen.example>: user unknown")
    summary = sending.send_queued(smtp=settings_for(smtp_server), now=Clock())
    assert summary["failed"] == 1 and summary["sent"] == 1  # the other message still goes out
    failed, sent = _messages()
    assert failed.state is MessageState.FAILED and failed.last_error.startswith("550 5.1.1")
    assert failed.attention_member_id == office.manager_id
    assert sent.state is MessageState.SENT
    [row] = outbox.list_messages(state=MessageState.FAILED)
    assert row["work_list_of"] == "AB" and row["last_error"].startswith("550")
    assert [r["id"] for r in outbox.list_messages(work_list_of="AB")] == [failed.id]
    assert outbox.list_messages(work_list_of="JV") == []


def test_transient_failures_run_out_into_failed(office, smtp_server, monkeypatch):
    monkeypatch.setenv("SBRFLOW_SMTP_MAX_ATTEMPTS", "2")
    from sbrflow.config.settings import get_settings
    get_settings.cache_clear()
    _queue(office)
    smtp_server.answer_next("421 4.7.0 Try again later", "452 4.2.2 Over quota")
    clock = Clock()
    sending.send_queued(smtp=settings_for(smtp_server), now=clock)
    clock.now += timedelta(hours=1)
    assert sending.send_queued(smtp=settings_for(smtp_server), now=clock)["failed"] == 1
    [message] = _messages()
    assert message.state is MessageState.FAILED and "gave up after 2 attempts: 452" in message.last_error


def test_an_unreachable_server_leaves_the_messages_queued_with_a_backoff(office, smtp_server):
    _queue(office)
    _queue(office, key="approval:2")
    port = smtp_server.port
    smtp_server.stop()
    summary = sending.send_queued(smtp=settings_for(smtp_server), now=Clock())
    assert summary["connection_errors"] == 1 and summary["sent"] == 0
    first, second = _messages()
    assert first.state is MessageState.QUEUED and first.attempts == 1 and str(port) in first.last_error
    assert second.attempts == 0 and second.claim_token is None  # released untried, not charged


class _CrashBefore(SmtpMailer):
    def send(self, mail, date):
        raise KeyboardInterrupt("worker killed before the server saw the message")


class _CrashAfter(SmtpMailer):
    def send(self, mail, date):
        super().send(mail, date)
        raise KeyboardInterrupt("worker killed after the server accepted, before it was marked")


def test_a_crash_before_sending_sends_once(office, smtp_server):
    _queue(office)
    _queue(office, key="approval:2")
    clock = Clock()
    with pytest.raises(KeyboardInterrupt):
        sending.send_queued(smtp=settings_for(smtp_server), now=clock, mailer_factory=_CrashBefore)
    assert smtp_server.received == []
    # The untried message was released at once; the one in flight waits for its claim to expire.
    assert sending.send_queued(smtp=settings_for(smtp_server), now=clock)["sent"] == 1
    clock.now += sending.CLAIM_LEASE + timedelta(seconds=1)
    assert sending.send_queued(smtp=settings_for(smtp_server), now=clock)["sent"] == 1
    assert sorted(m.message_id for m in smtp_server.received) == sorted(m.message_id for m in _messages())
    assert all(m.state is MessageState.SENT for m in _messages())


def test_a_crash_after_the_server_accepted_sends_again_with_the_same_message_id(office, smtp_server):
    _queue(office)
    clock = Clock()
    with pytest.raises(KeyboardInterrupt):
        sending.send_queued(smtp=settings_for(smtp_server), now=clock, mailer_factory=_CrashAfter)
    clock.now += sending.CLAIM_LEASE + timedelta(seconds=1)
    sending.send_queued(smtp=settings_for(smtp_server), now=clock)
    first, second = smtp_server.received  # the documented at-most-twice window
    assert first.message_id == second.message_id == _messages()[0].message_id


def test_a_message_whose_reason_has_gone_is_cancelled_not_sent(office, smtp_server):
    _queue(office)
    with unit_of_work() as session:
        session.get(Case, office.case_id).state = CaseState.APPROVED  # the client approved meanwhile
    summary = sending.send_queued(smtp=settings_for(smtp_server), now=Clock())
    assert summary["cancelled"] == 1 and summary["sent"] == 0
    assert smtp_server.received == []
    assert _messages()[0].state is MessageState.CANCELLED


def test_starttls_with_auth_sends_over_an_encrypted_logged_in_connection(office, server_tls, certificate):
    from sbrflow.integrations.mail.server import LocalSmtpServer

    _queue(office)
    with LocalSmtpServer(tls=server_tls, users={"kantoor": "geheim"}) as server:
        settings = settings_for(server, starttls=True, user="kantoor", password="geheim", ca_file=certificate[0])
        assert "geheim" not in repr(settings)
        assert sending.send_queued(smtp=settings, now=Clock())["sent"] == 1
        assert server.logins == ["kantoor"] and len(server.received) == 1


def test_smtps_sends_over_implicit_tls(office, server_tls, certificate):
    from sbrflow.integrations.mail.server import LocalSmtpServer

    _queue(office)
    with LocalSmtpServer(tls=server_tls, implicit_tls=True) as server:
        settings = settings_for(server, ssl=True, ca_file=certificate[0])
        assert sending.send_queued(smtp=settings, now=Clock())["sent"] == 1
        assert len(server.received) == 1


def test_a_refused_login_fails_the_run_and_keeps_the_messages_queued(office, server_tls, certificate):
    from sbrflow.integrations.mail.server import LocalSmtpServer

    _queue(office)
    with LocalSmtpServer(tls=server_tls, users={"kantoor": "geheim"}) as server:
        settings = settings_for(server, starttls=True, user="kantoor", password="fout", ca_file=certificate[0])
        with pytest.raises(MailConfigurationError) as raised:
            sending.send_queued(smtp=settings, now=Clock())
        assert "fout" not in str(raised.value)
    [message] = _messages()
    assert message.state is MessageState.QUEUED and message.claim_token is None and message.attempts == 0


def test_two_senders_never_claim_the_same_message(office):
    for n in range(6):
        _queue(office, key=f"approval:{n}")
    with unit_of_work() as first, unit_of_work() as second:
        a = sending.claim_batch(first, T0, 4, "a" * 32)
        first.flush()
        if first.get_bind().dialect.name == "sqlite":
            first.commit()  # SQLite has one writer at a time: the second claim comes after the first
        b = sending.claim_batch(second, T0, 4, "b" * 32)
    assert len(a) == 4 and len(b) == 2
    assert not {c.id for c in a} & {c.id for c in b}
