"""Reads for the team's work pages: Mijn werk (filters, days left), the admins' team view, the case page.

Who may act and which stages are a member's work is routing's rule (tasks/routing.py: work_list,
show_case); this module only adds what the pages show around it (filters, counts, the document's
rubrieken, the approval requests) and never decides anything itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.models import ApprovalRequest, Case, CaseStage, Client, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument
from sbrflow.models.returns import TaxReturnDocument
from sbrflow.tasks import routing

# What the "state" filter of Mijn werk offers: the open stage's own progress.
WORK_STATES = {
    "checkpoints_open": "Verplichte controlepunten open",
    "ready": "Klaar om af te ronden",
    "overdue": "Termijn verstreken",
}


def my_work(member: str, *, product: str | None = None, period_label: str | None = None,
            state: str | None = None, today: date | None = None) -> dict[str, Any]:
    """The member's work list (routing's rule and order) with days left, filtered; plus the filter choices."""
    today = today or date.today()
    items = routing.work_list(member)
    for item in items:
        deadline = date.fromisoformat(item["deadline_effective"]) if item["deadline_effective"] else None
        item["days_left"] = (deadline - today).days if deadline else None
    chosen = [
        i for i in items
        if (not product or i["product"] == product) and (not period_label or i["period_label"] == period_label)
        and (not state or (state == "checkpoints_open" and i["checkpoints_open"] > 0)
             or (state == "ready" and i["checkpoints_open"] == 0)
             or (state == "overdue" and i["days_left"] is not None and i["days_left"] < 0))
    ]
    return {"rows": chosen, "total": len(items), "products": sorted({i["product"] for i in items}),
            "periods": sorted({i["period_label"] for i in items}, reverse=True)}


def team_overview() -> list[dict[str, Any]]:
    """Open stages per assignee and stage (the admins' team view): code, name, stage, count; unassigned last."""
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(TeamMember.code, TeamMember.name, CaseStage.stage_code, sa.func.count())
            .select_from(CaseStage)
            .join(Case, sa.and_(Case.id == CaseStage.case_id, Case.current_stage == CaseStage.stage_code))
            .outerjoin(TeamMember, TeamMember.id == CaseStage.team_member_id)
            .where(CaseStage.state == StageState.ACTIVE, Case.state == CaseState.IN_PROGRESS)
            .group_by(TeamMember.code, TeamMember.name, CaseStage.stage_code)
        ).all()
    result = [{"code": code, "name": name, "stage": stage, "count": count} for code, name, stage, count in rows]
    result.sort(key=lambda r: (r["code"] is None, r["code"] or "", r["stage"]))
    return result


def case_page(case_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """`case show --json` (routing) plus what the page shows around it: client, period, deadlines,
    the current document's facts for the rubriek table, and the approval requests with their state."""
    from sbrflow.tasks.approval import request_state
    from sbrflow.tasks.approval_lookup import document_totals  # parsed once per document hash

    now = now or datetime.now(UTC)
    shown = routing.show_case(case_id)  # NotFound for an unknown case
    with unit_of_work() as session:
        case, client = session.execute(
            sa.select(Case, Client).join(Client, Client.id == Case.client_id).where(Case.id == case_id)).one()
        document = session.execute(
            sa.select(TaxReturnDocument.id, TaxReturnDocument.sha256, TaxReturnDocument.kind, TaxReturnDocument.tax)
            .join(CaseDocument, CaseDocument.document_id == TaxReturnDocument.id)
            .where(CaseDocument.case_id == case_id, CaseDocument.is_current.is_(True))).one_or_none()
        requests = [
            {"id": r.id, "presentation": r.presentation.value, "state": request_state(r, now),
             "recipient": r.recipient_email, "requested_at": r.requested_at, "expires_at": r.expires_at,
             "decision": r.decision.value if r.decision else None, "decided_at": r.decided_at,
             "reason": r.reason, "document_sha256": r.document_sha256}
            for r in session.scalars(sa.select(ApprovalRequest).where(ApprovalRequest.case_id == case_id)
                                     .order_by(ApprovalRequest.requested_at.desc(), ApprovalRequest.id.desc()))
        ]
        extra = {
            "client_name": client.name, "period_start": case.period_start, "period_end": case.period_end,
            "deadline": case.deadline, "deadline_effective_date": case.deadline_effective,
            "frequency": case.frequency.value, "template": f"{case.template_code} v{case.template_version}",
        }
    totals = None
    if document is not None:
        try:
            totals = dict(document_totals(document.sha256, document.id))
        except Exception:  # noqa: BLE001 - a document that cannot be read still shows its hash and history
            totals = None
    return {**shown, **extra, "document_kind": document.kind if document else None,
            "totals": totals, "approval_requests": requests}
