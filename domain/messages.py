"""Messages to clients and team members: why a message is made, where it stands, and the rules of
when it is still needed, when a reminder is due and how long a failed send waits. Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Product


class MessageReason(StrEnum):
    """Why a message was made; each reason has its own Dutch texts in config/messages/."""

    APPROVAL_REQUEST = "approval_request"  # to the client: please approve (or sign), with the link
    CLIENT_INFORMATION = "client_information"  # to the client: the return, for information (nothing to decide)
    CLIENT_REMINDER = "client_reminder"  # to the client: the approval request is still open
    STAGE_DIGEST = "stage_digest"  # to a team member: all their stages open too long, one mail a day
    ESCALATION = "escalation"  # to the relatiebeheerder: deadline close, case not approved
    STAGE_ASSIGNED = "stage_assigned"  # to a team member: a stage of a case is now theirs
    SUBMISSION_FAILED = "submission_failed"  # to the relatiebeheerder: Digipoort reported a final error


class MessageState(StrEnum):
    """Where a message stands in the outbox."""

    QUEUED = "queued"  # waiting to be sent (possibly after a transient failure, at next_attempt_at)
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # the server refused it for good (5xx) or transient failures ran out; error kept
    CANCELLED = "cancelled"  # its reason went away before it was sent (e.g. the client approved)


class RecipientKind(StrEnum):
    """Who a message goes to: a client's contact person or a team member of the office."""

    CONTACT = "contact"
    TEAM_MEMBER = "team_member"


# A queued message is only sent while its case is still in one of these states; otherwise its reason
# has gone (the client decided, the case was approved or finished) and it is cancelled, not sent.
# Reasons not listed (digest, stage assigned, submission failed) are always sent.
_NOT_APPROVED_YET = frozenset(set(CaseState) - {CaseState.APPROVED, CaseState.SUBMITTED, CaseState.CLOSED,
                                                CaseState.CANCELLED})
STILL_NEEDED_WHILE: dict[MessageReason, frozenset[CaseState]] = {
    MessageReason.APPROVAL_REQUEST: frozenset({CaseState.WITH_CLIENT}),
    MessageReason.CLIENT_REMINDER: frozenset({CaseState.WITH_CLIENT}),
    MessageReason.ESCALATION: _NOT_APPROVED_YET,
}
# The case states in which the deadline escalation applies (not approved yet, not finished).
ESCALATE_WHILE: frozenset[CaseState] = _NOT_APPROVED_YET

# Dutch names of the products, as the office writes them in a message (never personal data).
PRODUCT_NAMES: dict[Product, str] = {
    Product.VAT_RETURN: "aangifte omzetbelasting",
    Product.PAYROLL_RETURN: "aangifte loonheffingen",
    Product.INCOME_TAX: "aangifte inkomstenbelasting",
    Product.CORPORATE_TAX: "aangifte vennootschapsbelasting",
    Product.ANNUAL_ACCOUNTS: "jaarrekening",
}


# Reasons that belong to one approval request: cancelled once the request is no longer open.
FOR_APPROVAL_REQUEST = frozenset({MessageReason.APPROVAL_REQUEST, MessageReason.CLIENT_REMINDER})

# An approval link in a message body (SBRFLOW_PUBLIC_URL + /a/ + token): removed from the stored copy
# once the message has left the outbox, so the token is not kept in clear anywhere.
_APPROVAL_LINK = re.compile(r"(/a/)[A-Za-z0-9_-]{16,}")


def redact_links(text: str) -> str:
    """The text with every approval link's token replaced by `…` (for the copy kept after sending)."""
    return _APPROVAL_LINK.sub(r"\1…", text)


def still_needed(reason: MessageReason, case_state: CaseState | None) -> bool:
    """Whether a queued message of this reason should still go out, given its case's state."""
    states = STILL_NEEDED_WHILE.get(reason)
    return states is None or case_state is None or case_state in states


def retry_delay(attempts: int, first_delay: float, max_delay: float = 3600.0) -> timedelta:
    """How long to wait after the `attempts`-th transient failure: the first delay, doubling, capped."""
    return timedelta(seconds=min(max_delay, first_delay * 2 ** max(0, attempts - 1)))


def reminder_due(requested_on: date, last_reminder_on: date | None, run_date: date, reminders_made: int,
                 every_days: int, maximum: int) -> int | None:
    """The number of the client reminder due on run_date, or None.

    A reminder is due `every_days` days after the request, and again `every_days` after the previous
    reminder, while fewer than `maximum` were made. A late run sends one, never a burst.
    """
    if reminders_made >= maximum:
        return None
    if run_date < (last_reminder_on or requested_on) + timedelta(days=every_days):
        return None
    return reminders_made + 1


def reminder_cutoff(run_date: date, every_days: int) -> date:
    """The latest request (or previous reminder) date for which a reminder is due on run_date:
    the set-based form of `reminder_due`."""
    return run_date - timedelta(days=every_days)


def escalation_window(run_date: date, days: int) -> tuple[date, date]:
    """The effective deadlines that call for an escalation on run_date: from run_date to `days` later."""
    return run_date, run_date + timedelta(days=days)


def mail_domain(mail_from: str) -> str:
    """The domain part of the sender address, for Message-IDs (`localhost` when there is none)."""
    address = mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"
