"""The demo's approval step: one VAT case waits for its client (its link is printed), one is approved.

The approval goes through `decide_approval`, the function the web page's form calls.
"""

from __future__ import annotations

import sqlalchemy as sa
from prefect import task

from sbrflow.domain.approval import Decision
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Product
from sbrflow.models import Case, Client
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument
from sbrflow.tasks.approval import decide_approval, request_approval
from sbrflow.tasks.routing import complete_current_stage, show_case, tick_checkpoint

_DONE = (CaseState.APPROVED, CaseState.SUBMITTING, CaseState.SUBMITTED, CaseState.CLOSED)
_USABLE = (CaseState.RETURN_RECEIVED, CaseState.IN_PROGRESS, CaseState.WITH_CLIENT, *_DONE)


def _demo_cases(keep_in_stage: int | None) -> list[int]:
    """The first two VAT cases with a return that are under way (stable from run to run)."""
    with unit_of_work() as session:
        # By client and period, not by id (ids differ between SQLite and PostgreSQL): the same cases every run.
        return list(session.scalars(
            sa.select(Case.id).join(CaseDocument, sa.and_(CaseDocument.case_id == Case.id,
                                                          CaseDocument.is_current.is_(True)))
            .join(Client, Client.id == Case.client_id)
            .where(Case.product == Product.VAT_RETURN, Case.state.in_(_USABLE), Case.id != (keep_in_stage or 0))
            .order_by(Client.client_number, Case.period_start).limit(2)
        ))


def _work_through_stages(case_id: int) -> None:
    """Each stage's assignee ticks its mandatory checkpoints and completes it, as in the work list."""
    for _ in range(20):  # a template has a handful of stages
        shown = show_case(case_id)
        if shown["state"] != CaseState.IN_PROGRESS.value:
            return
        stage = next(s for s in shown["stages"] if s["code"] == shown["current_stage"])
        for checkpoint in stage["checkpoints"]:
            if checkpoint["mandatory"] and not checkpoint["ticked_by"]:
                tick_checkpoint(case_id, checkpoint["position"], stage["assignee"])
        complete_current_stage(case_id, stage["assignee"])


@task(name="demo-approvals")
def demo_approvals(keep_in_stage: int | None = None) -> dict[str, object]:
    """Work two demo VAT cases through their stages to the client; one's link is printed, the other approved."""
    cases = _demo_cases(keep_in_stage)  # routing's demo leaves that one in a stage on purpose
    if len(cases) < 2:
        return {"link": None, "waiting_case": None, "approved_case": None}
    for case_id in cases:
        _work_through_stages(case_id)
    waiting, approved = cases
    link = request_approval(waiting, via="demo")  # a new link on every run; the earlier one is void
    with unit_of_work() as session:
        already = session.get(Case, approved).state in _DONE
    if not already:
        token = request_approval(approved, via="demo")["token"]
        decide_approval(token, Decision.APPROVED, via="demo")
    return {"link": link.get("url"), "waiting_case": waiting, "approved_case": approved}
