"""Pure rules of messages: when a reminder is due, when a message is still needed, backoff, redaction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.messages import (
    MessageReason,
    escalation_window,
    mail_domain,
    redact_links,
    reminder_due,
    retry_delay,
    still_needed,
)

REQUESTED = date(2026, 10, 20)


@pytest.mark.parametrize(("run_date", "last", "made", "expected"), [
    (date(2026, 10, 22), None, 0, None),  # 2 days: not yet
    (date(2026, 10, 23), None, 0, 1),  # 3 days after the request
    (date(2026, 10, 25), date(2026, 10, 23), 1, None),  # 2 days after reminder 1
    (date(2026, 10, 26), date(2026, 10, 23), 1, 2),
    (date(2026, 11, 30), date(2026, 10, 23), 1, 2),  # a late run: the next one only, not a burst
    (date(2026, 11, 30), date(2026, 10, 29), 3, None),  # the maximum was reached
])
def test_a_client_reminder_is_due_every_n_days_since_the_request_or_the_last_one_up_to_the_maximum(
        run_date, last, made, expected):
    assert reminder_due(REQUESTED, last, run_date, made, every_days=3, maximum=3) == expected


def test_a_reminder_or_request_mail_is_only_needed_while_the_case_is_with_the_client():
    assert still_needed(MessageReason.CLIENT_REMINDER, CaseState.WITH_CLIENT)
    assert not still_needed(MessageReason.CLIENT_REMINDER, CaseState.APPROVED)
    assert not still_needed(MessageReason.APPROVAL_REQUEST, CaseState.IN_PROGRESS)  # the client rejected


def test_an_escalation_is_needed_until_the_case_is_approved():
    assert still_needed(MessageReason.ESCALATION, CaseState.WAITING_FOR_RETURN)
    assert still_needed(MessageReason.ESCALATION, CaseState.WITH_CLIENT)
    for state in (CaseState.APPROVED, CaseState.SUBMITTED, CaseState.CLOSED, CaseState.CANCELLED):
        assert not still_needed(MessageReason.ESCALATION, state)


def test_digests_and_other_staff_messages_are_always_sent():
    assert still_needed(MessageReason.STAGE_DIGEST, None)
    assert still_needed(MessageReason.SUBMISSION_FAILED, CaseState.CLOSED)


def test_the_retry_delay_doubles_from_the_first_delay_and_is_capped_at_an_hour():
    assert [retry_delay(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(20, 60) == timedelta(hours=1)


def test_the_escalation_window_runs_from_the_run_date_to_n_days_later():
    assert escalation_window(date(2026, 10, 28), 5) == (date(2026, 10, 28), date(2026, 11, 2))


def test_an_approval_links_token_is_redacted_from_a_stored_text():
    token = "Qx3_-abcdefghijklmnopqrstuvwxyz0123456789AB"
    text = f"Klik op https://portaal.kantoor.nl/a/{token} om goed te keuren."
    assert redact_links(text) == "Klik op https://portaal.kantoor.nl/a/… om goed te keuren."


def test_message_ids_take_the_domain_of_the_sender_address():
    assert mail_domain("Kantoor Jansen <noreply@kantoor.example>") == "kantoor.example"
    assert mail_domain("sbrflow") == "localhost"
