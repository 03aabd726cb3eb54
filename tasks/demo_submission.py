"""The demo's submission step: the case the client approved goes to the Digipoort simulator."""

from __future__ import annotations

import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work

AFTER_APPROVAL = (CaseState.APPROVED, CaseState.SUBMITTING, CaseState.SUBMITTED, CaseState.CLOSED)


def approved_demo_case() -> int | None:
    """The demo case to submit: the one its client approved through the approval page's code path (or further)."""
    with unit_of_work() as session:
        return session.scalar(sa.select(Case.id).where(Case.state.in_(AFTER_APPROVAL)).order_by(Case.id).limit(1))


def demo_case_line(case_id: int) -> str:
    """One line about the demo case and its latest delivery."""
    from sbrflow.tasks.submission_admin import list_submissions

    row = next((r for r in list_submissions() if r["case_id"] == case_id), None)
    with unit_of_work() as session:
        case = session.get(Case, case_id)
        what = f"case {case_id} {case.product.value} {case.period_label}: {case.state.value}"
    if row:
        what += f", kenmerk {row['kenmerk']}, last status {row['status_code']} {row['status_text']}"
    return what
