"""The append-only audit trail: write events (never update or delete them) and read a case's history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.routing import Event
from sbrflow.models.bulk import bulk_insert
from sbrflow.models.matching import AuditEvent


def system_actor() -> str:
    """`system:<flow-run-id>` inside a flow run, else `system:cli` (the actor of automatic moves)."""
    try:
        from prefect.runtime import flow_run

        run_id = flow_run.id
    except Exception:  # noqa: BLE001 - outside Prefect there is no run
        run_id = None
    return f"system:{run_id}" if run_id else "system:cli"


def record_events(session: Session, events: Iterable[tuple[int, Event]], *, actor: str, now: datetime) -> int:
    """Append one audit row per (case id, event), in the caller's transaction; returns the count."""
    rows = [{"occurred_at": now, "actor": actor, "action": e.action, "subject_type": "tax_case",
             "subject_id": case_id, "case_id": case_id, "from_state": e.from_, "to_state": e.to,
             "details": dict(e.details) or None} for case_id, e in events]
    if rows:
        bulk_insert(session, AuditEvent, rows)
    return len(rows)


def case_history(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The events of a case, oldest first, in the JSON shape of `sbrflow case show`."""
    rows = session.execute(
        sa.select(AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action, AuditEvent.from_state,
                  AuditEvent.to_state, AuditEvent.details)
        .where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)
    )
    return [{"at": at.isoformat() if at else None, "actor": actor, "action": action, "from": f, "to": t,
             "details": details or {}} for at, actor, action, f, t, details in rows]
