"""Wwft risk classification per client: low / high / unacceptable, with a motivation and a history row per change.

An unacceptable client is not accepted and not planned: readiness gives the reason `risk_unacceptable`
(domain/readiness.py), which the acceptance path and planning both use.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from sbrflow.domain.crm_query import QueryError, parse_risk
from sbrflow.domain.errors import NotFound
from sbrflow.models import Client, ClientRisk, ClientRiskChange
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.crm_properties import member


def _utc(moment: datetime) -> str:
    """ISO time in UTC (SQLite gives naive datetimes back, PostgreSQL the session's zone)."""
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()


def _client_id(session, client_number: str) -> int:
    found = session.scalar(sa.select(Client.id).where(Client.client_number == client_number))
    if found is None:
        raise NotFound(f"no client with number {client_number!r}")
    return found


def set_risk(client_number: str, risk_class: str, *, motivation: str, by: str, now: datetime | None = None) -> dict:
    """Classify a client (low, high, unacceptable) with a motivation; the change is kept in the history."""
    chosen = parse_risk(risk_class)
    motivation = (motivation or "").strip()
    if not motivation:
        raise QueryError("a risk classification needs a motivation (--motivation): why this class")
    now = now or datetime.now(UTC)
    with unit_of_work() as session:
        who = member(session, by)
        client_id = _client_id(session, client_number)
        current = session.scalar(sa.select(ClientRisk).where(ClientRisk.client_id == client_id))
        before = current.risk_class if current else None
        if current is None:
            session.add(ClientRisk(client_id=client_id, risk_class=chosen, motivation=motivation, set_by=who.code,
                                   set_at=now))
        else:
            current.risk_class, current.motivation, current.set_by, current.set_at = chosen, motivation, who.code, now
        session.add(ClientRiskChange(client_id=client_id, from_class=before, to_class=chosen, motivation=motivation,
                                     changed_by=who.code, changed_at=now))
    return {"client_number": client_number, "from": before, "to": chosen, "by": who.code,
            "motivation": motivation, "at": _utc(now)}


def risk_history(client_number: str) -> dict:
    """The current class and every change, oldest first."""
    with unit_of_work() as session:
        client_id = _client_id(session, client_number)
        current = session.scalar(sa.select(ClientRisk).where(ClientRisk.client_id == client_id))
        changes = session.scalars(sa.select(ClientRiskChange).where(ClientRiskChange.client_id == client_id)
                                  .order_by(ClientRiskChange.changed_at, ClientRiskChange.id)).all()
        return {
            "client_number": client_number,
            "risk_class": current.risk_class if current else None,
            "motivation": current.motivation if current else None,
            "history": [{"at": _utc(c.changed_at), "by": c.changed_by, "from": c.from_class,
                         "to": c.to_class, "motivation": c.motivation} for c in changes],
        }
