"""The client's approval mail and its reminders, on SQLite and PostgreSQL, through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from sbrflow.domain.approval import hash_token
from sbrflow.domain.messages import MessageReason, MessageState
from sbrflow.models import ApprovalRequest
from sbrflow.models.db import unit_of_work
from sbrflow.models.messages import Message
from sbrflow.tasks import messages as outbox
from sbrflow.tasks import sending
from sbrflow.tasks.approval import decide_approval, request_approval
from sbrflow.tasks.reminders import run_reminders

from .conftest import settings_for

REQUESTED = dt.datetime(2026, 10, 20, 14, 30, tzinfo=dt.UTC)  # a Tuesday afternoon


def _messages(reason: MessageReason | None = None) -> list[Message]:
    with unit_of_work() as session:
        query = sa.select(Message).order_by(Message.id)
        if reason is not None:
            query = query.where(Message.reason == reason)
        return session.scalars(query).all()


def test_the_approval_mail_arrives_with_the_templates_message_and_the_link(case_with_client, smtp_server):
    made = request_approval(case_with_client.case_id, now=REQUESTED)
    [queued] = _messages()  # made in the same transaction as the request
    assert queued.reason is MessageReason.APPROVAL_REQUEST and queued.approval_request_id == made["request_id"]
    assert queued.recipient == "piet@jansen.example" and queued.case_id == case_with_client.case_id
    sending.send_queued(smtp=settings_for(smtp_server), now=lambda: REQUESTED)
    [mail] = smtp_server.received
    assert "De aangifte omzetbelasting over 2026-Q3 staat voor u klaar" in mail.text()  # vat_return.yaml's sbr.message
    link = re.search(r"https?://\S+/a/(\S+)", mail.text())
    assert link and hash_token(link.group(1)) == _request(made["request_id"]).token_sha256
    assert f'href="{link.group(0)}"' in mail.html()
    assert "Jansen" not in mail.subject and mail.subject.startswith("Uw aangifte omzetbelasting over 2026-Q3")
    [sent] = _messages()
    assert sent.state is MessageState.SENT and link.group(1) not in sent.body_text + sent.body_html  # redacted


def _request(request_id: int) -> ApprovalRequest:
    with unit_of_work() as session:
        return session.get(ApprovalRequest, request_id)


def test_client_reminders_follow_the_schedule_up_to_the_maximum(case_with_client):
    request_approval(case_with_client.case_id, now=REQUESTED)
    day = REQUESTED.date()
    schedule = {}
    for offset in range(0, 14):
        schedule[offset] = run_reminders(day + dt.timedelta(days=offset))["client_reminders"]
    # Every 3 days (SBRFLOW_CLIENT_REMINDER_DAYS), at most 3 (SBRFLOW_CLIENT_REMINDER_MAX).
    assert {offset for offset, n in schedule.items() if n} == {3, 6, 9}
    reminders = _messages(MessageReason.CLIENT_REMINDER)
    assert [m.dedup_key.rsplit(":", 1)[1] for m in reminders] == ["1", "2", "3"]
    assert "Herinnering 2" in reminders[1].subject and "20 oktober 2026" in reminders[1].body_text
    assert "Jansen" not in reminders[0].subject
    assert run_reminders(day + dt.timedelta(days=9))["queued"] == 0  # a rerun on the same date: nothing more


def test_a_late_run_sends_one_reminder_and_spaces_the_next(case_with_client):
    request_approval(case_with_client.case_id, now=REQUESTED)
    assert run_reminders(REQUESTED.date() + dt.timedelta(days=8))["client_reminders"] == 1
    assert run_reminders(REQUESTED.date() + dt.timedelta(days=8))["client_reminders"] == 0
    assert run_reminders(REQUESTED.date() + dt.timedelta(days=10))["client_reminders"] == 0
    assert run_reminders(REQUESTED.date() + dt.timedelta(days=11))["client_reminders"] == 1


def test_a_reminder_queued_before_the_client_approved_is_cancelled_not_sent(case_with_client, smtp_server):
    made = request_approval(case_with_client.case_id, now=REQUESTED)
    sending.send_queued(smtp=settings_for(smtp_server), now=lambda: REQUESTED)
    run_reminders(REQUESTED.date() + dt.timedelta(days=3))
    decide_approval(made["token"], "approved", now=REQUESTED + dt.timedelta(days=3, hours=1))
    summary = sending.send_queued(smtp=settings_for(smtp_server), now=lambda: REQUESTED + dt.timedelta(days=3, hours=2))
    assert summary["cancelled"] == 1 and summary["sent"] == 0
    [reminder] = _messages(MessageReason.CLIENT_REMINDER)
    assert reminder.state is MessageState.CANCELLED
    assert len(smtp_server.received) == 1  # only the approval mail
    assert run_reminders(REQUESTED.date() + dt.timedelta(days=6))["client_reminders"] == 0  # decided: no more


def test_a_new_request_cancels_the_unsent_mail_of_the_earlier_one(case_with_client):
    first = request_approval(case_with_client.case_id, now=REQUESTED)
    request_approval(case_with_client.case_id, now=REQUESTED + dt.timedelta(minutes=5))
    with unit_of_work() as session:
        outbox.cancel_obsolete(session, REQUESTED + dt.timedelta(minutes=6))
    old, new = _messages()
    assert old.state is MessageState.CANCELLED and old.approval_request_id == first["request_id"]
    assert first["token"] not in old.body_text  # the dead link is not kept either
    assert new.state is MessageState.QUEUED
