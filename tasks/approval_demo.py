"""The demo's approval step: one VAT case waits for its client (its link is printed), one is approved.

The approval goes through `decide_approval`, the function the web page's form calls.
"""

from __future__ import annotations

import sqlalchemy as sa
from prefect import task

from sbrflow.domain.approval import Decision
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Product
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument
from sbrflow.tasks import approval_transitions as transitions
from sbrflow.tasks.approval import decide_approval, request_approval

_DONE = (CaseState.APPROVED, CaseState.SUBMITTED, CaseState.CLOSED)
_USABLE = (CaseState.RETURN_RECEIVED, CaseState.IN_PROGRESS, CaseState.WITH_CLIENT, *_DONE)


def _demo_cases() -> list[int]:
    """The first two VAT cases with a return that are under way (stable from run to run)."""
    with unit_of_work() as session:
        return list(session.scalars(
            sa.select(Case.id).join(CaseDocument, sa.and_(CaseDocument.case_id == Case.id,
                                                          CaseDocument.is_current.is_(True)))
            .where(Case.product == Product.VAT_RETURN, Case.state.in_(_USABLE)).order_by(Case.id).limit(2)
        ))


@task(name="demo-approvals")
def demo_approvals() -> dict[str, object]:
    """Put two demo VAT cases to their client; print one's link, approve the other as the page would."""
    cases = _demo_cases()
    if len(cases) < 2:
        return {"link": None, "waiting_case": None, "approved_case": None}
    with unit_of_work() as session:
        for case_id in cases:
            transitions.finish_stages_for_demo(session, session.get(Case, case_id))
    waiting, approved = cases
    link = request_approval(waiting, via="demo")  # a new link on every run; the earlier one is void
    with unit_of_work() as session:
        already = session.get(Case, approved).state in _DONE
    if not already:
        token = request_approval(approved, via="demo")["token"]
        decide_approval(token, Decision.APPROVED, via="demo")
    return {"link": link.get("url"), "waiting_case": waiting, "approved_case": approved}
