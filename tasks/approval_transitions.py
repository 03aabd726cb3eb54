"""The case moves a client's decision causes, applied inside the caller's unit of work.

The rules themselves (which state follows which) belong to routing's state machine
(domain/routing.py); this module only applies them to the stored case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sbrflow.domain.case_states import CaseState
from sbrflow.models import Case


def client_approved(session: Session, case: Case, now: datetime) -> None:
    """with_client → approved (the client approved, signed, or was informed)."""
    case.state = CaseState.APPROVED
    case.current_stage = None
    case.updated_at = now


def client_rejected(session: Session, case: Case, reason: str, now: datetime) -> None:
    """with_client → back in the case's last stage, with the client's reason."""
    last = max(case.stages, key=lambda s: s.position) if case.stages else None
    case.state = CaseState.IN_PROGRESS
    case.current_stage = last.stage_code if last is not None else None
    case.updated_at = now


def block_for_client(session: Session, case: Case, code: str, message: str, now: datetime) -> None:
    """Record on a case with the client why it cannot go out (e.g. no_recipient); it stays with_client."""
    reasons = [r for r in (case.blocked_reasons or []) if r.get("code") != code]
    case.blocked_reasons = [*reasons, {"code": code, "message": message}]
    case.updated_at = now


def clear_block(session: Session, case: Case, code: str) -> None:
    """Forget a reason recorded by block_for_client once it is solved."""
    if case.blocked_reasons:
        reasons = [r for r in case.blocked_reasons if r.get("code") != code]
        case.blocked_reasons = reasons or None
