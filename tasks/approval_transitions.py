"""The case moves a client's decision causes, applied inside the caller's unit of work.

The rules are routing's state machine (domain.routing: `client_approves`, `client_rejects`); this module
calls routing's `apply_client_decision`, which runs the transition and writes it with its audit events
in the caller's transaction, so the approval step never holds a second copy of a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sbrflow.domain.routing import Event
from sbrflow.models import Case
from sbrflow.tasks.audit import record_events
from sbrflow.tasks.routing import apply_client_decision

NO_RECIPIENT_EVENT = "case.no_recipient"


def client_approved(session: Session, case: Case, now: datetime, *, actor: str,
                    details: Mapping[str, Any] | None = None) -> None:
    """with_client → approved (approved, signed, or informed), with what was approved in the audit trail."""
    apply_client_decision(session, case.id, approved=True, actor=actor, details=details, now=now)


def client_rejected(session: Session, case: Case, reason: str, now: datetime, *, actor: str,
                    details: Mapping[str, Any] | None = None) -> None:
    """with_client → the case's last stage again, with the client's reason (routing's rule)."""
    apply_client_decision(session, case.id, approved=False, reason=reason, actor=actor, details=details, now=now)


def block_for_client(session: Session, case: Case, code: str, message: str, now: datetime, *, actor: str) -> None:
    """Record on a case with the client why it cannot go out (no_recipient); it stays with_client.

    Not state `blocked`: planning re-judges blocked cases without a stage, and the case is past them.
    """
    reason = {"code": code, "message": message}
    if reason in (case.blocked_reasons or []):
        return  # already recorded: the every-5-minutes pass must not repeat it in the audit trail
    case.blocked_reasons = [*(r for r in (case.blocked_reasons or []) if r.get("code") != code), reason]
    case.updated_at = now
    session.flush()
    record_events(session, [(case.id, Event(NO_RECIPIENT_EVENT, None, None, {"reason": message}))],
                  actor=actor, now=now)


def clear_block(session: Session, case: Case, code: str) -> None:
    """Forget a reason recorded by block_for_client once it is solved."""
    if case.blocked_reasons:
        reasons = [r for r in case.blocked_reasons if r.get("code") != code]
        case.blocked_reasons = reasons or None
