"""Client approval: the link token, its validity, and what a client's decision must contain.

DESIGN.md, "Approval evidence": a client approves one exact document. The link carries a random
secret; only its SHA-256 is stored, so a copy of the database opens no link. A request expires,
is used once, and is bound to the SHA-256 of the document it was made for: when the case's
current document is another one (a corrected return), the request is void.

Pure: the caller passes the clock's `now` and the current document's hash. Randomness comes from
`secrets` (the operating system's CSPRNG), which is neither I/O nor a clock.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sbrflow.domain.errors import Refused

# 32 random bytes = 256 bits (the issue asks for at least 128), URL-safe base64 without padding.
TOKEN_BYTES = 32
TOKEN_LENGTH = 43
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
REASON_MAX = 2000
NAME_MAX = 200


class Presentation(StrEnum):
    """How the return is put to the client (the template's sbr.presentation)."""

    APPROVAL = "approval"  # Akkoord / Niet akkoord
    SIGNING = "signing"  # Ondertekenen (typed name + consent) / Niet akkoord
    INFORMATION = "information"  # nothing to decide


class RequestState(StrEnum):
    """Stored state of an approval request. `expired` is not stored: it is open past expires_at."""

    OPEN = "open"
    DECIDED = "decided"
    VOID = "void"


class Decision(StrEnum):
    """What the client decided (or `informed`: an information-only request, recorded as sent)."""

    APPROVED = "approved"
    REJECTED = "rejected"
    SIGNED = "signed"
    INFORMED = "informed"


class VoidReason(StrEnum):
    """Why a request no longer counts."""

    REPLACED = "replaced"  # a new request for the same case (link re-sent)
    DOCUMENT_REPLACED = "document_replaced"  # the case's current document is another one now
    CASE_MOVED = "case_moved"  # the case is no longer with the client (e.g. sent back by the office)


class LinkStatus(StrEnum):
    """What a token lookup finds."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    VOID = "void"


# What each presentation lets the client do.
ALLOWED: dict[Presentation, frozenset[Decision]] = {
    Presentation.APPROVAL: frozenset({Decision.APPROVED, Decision.REJECTED}),
    Presentation.SIGNING: frozenset({Decision.SIGNED, Decision.REJECTED}),
    Presentation.INFORMATION: frozenset(),
}
# Decisions that send the case on to `approved`.
ACCEPTING: frozenset[Decision] = frozenset({Decision.APPROVED, Decision.SIGNED, Decision.INFORMED})


class ApprovalError(Refused):
    """A problem with an approval request or decision that the user can act on."""


class LinkNotValid(ApprovalError):
    """The token opens nothing: unknown, expired, used or void. Says which, and nothing about the case."""

    def __init__(self, status: LinkStatus) -> None:
        self.status = status
        super().__init__(f"the approval link is {status.value}; ask the office for a new link")


class DecisionRefused(ApprovalError, ValueError):
    """A decision that lacks what it needs (a reason, a name, consent) or does not fit the request."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field  # reason, name, consent, decision
        super().__init__(message)


def new_token() -> str:
    """A fresh link secret: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) stored for a token; the token itself is never stored."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def well_formed(token: str) -> bool:
    """Whether the text can be a token at all (checked before any database lookup)."""
    return bool(_TOKEN_SHAPE.fullmatch(token or ""))


def mask_token(token: str) -> str:
    """The token as it may appear in a log line: its first 4 characters."""
    return (token or "")[:4] + "…"


def expires_at(created_at: datetime, valid_days: int) -> datetime:
    """When a request made at created_at stops opening (SBRFLOW_APPROVAL_VALID_DAYS)."""
    if valid_days < 1:
        raise ValueError("an approval link is valid for at least 1 day")
    return created_at + timedelta(days=valid_days)


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the rules need to know about a stored request."""

    state: RequestState
    expires_at: datetime
    document_sha256: str
    presentation: Presentation


def link_status(request: RequestFacts | None, *, now: datetime, current_sha256: str | None) -> LinkStatus:
    """Judge a looked-up request: void (also when the case's document changed), used, expired or valid."""
    if request is None:
        return LinkStatus.UNKNOWN
    if request.state is RequestState.VOID:
        return LinkStatus.VOID
    if request.state is RequestState.DECIDED:
        return LinkStatus.USED
    if current_sha256 != request.document_sha256:
        return LinkStatus.VOID  # bound to the document: a corrected return needs a new approval
    if now >= request.expires_at:
        return LinkStatus.EXPIRED
    return LinkStatus.VALID


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """A client's decision as checked: the decision and its reason or typed name."""

    decision: Decision
    reason: str | None = None
    signed_name: str | None = None


def check_decision(
    presentation: Presentation,
    decision: Decision | str,
    *,
    reason: str | None = None,
    name: str | None = None,
    consent: bool = False,
) -> DecisionInput:
    """The decision with its evidence, or DecisionRefused saying what is missing."""
    try:
        decision = Decision(decision)
    except ValueError:
        raise DecisionRefused("decision", f"unknown decision {decision!r}") from None
    if decision not in ALLOWED[presentation]:
        allowed = ", ".join(sorted(d.value for d in ALLOWED[presentation])) or "none (information only)"
        raise DecisionRefused(
            "decision", f"a {presentation.value} request cannot be {decision.value}; allowed: {allowed}"
        )
    if decision is Decision.REJECTED:
        text = " ".join((reason or "").split())
        if not text:
            raise DecisionRefused("reason", "a rejection needs a reason: say what is wrong with the return")
        if len(text) > REASON_MAX:
            raise DecisionRefused("reason", f"the reason is longer than {REASON_MAX} characters")
        return DecisionInput(decision, reason=text)
    if decision is Decision.SIGNED:
        typed = " ".join((name or "").split())
        if len(typed) < 2:
            raise DecisionRefused("name", "signing needs your full name, typed in")
        if len(typed) > NAME_MAX:
            raise DecisionRefused("name", f"the name is longer than {NAME_MAX} characters")
        if not consent:
            raise DecisionRefused("consent", "signing needs your consent: tick the box")
        return DecisionInput(decision, signed_name=typed)
    return DecisionInput(decision)
