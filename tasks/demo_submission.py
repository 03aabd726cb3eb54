"""The demo's submission step: approve one matched VAT return (the approval page is another issue's)."""

from __future__ import annotations

import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Product
from sbrflow.integrations.digipoort.simulator import BY_SUFFIX
from sbrflow.models import AuditEvent, Case, CaseDocument, TaxReturnDocument
from sbrflow.models.bulk import bulk_insert
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.submission import audit

AFTER_APPROVAL = (CaseState.APPROVED, CaseState.SUBMITTING, CaseState.SUBMITTED, CaseState.CLOSED)


def approve_demo_case() -> int | None:
    """The demo case to submit: one already approved (or further), else the first matched VAT return, approved."""
    with unit_of_work() as session:
        done = session.scalar(sa.select(Case.id).where(Case.state.in_(AFTER_APPROVAL)).order_by(Case.id).limit(1))
        if done is not None:
            return done
        candidates = session.execute(
            sa.select(Case.id, TaxReturnDocument.fiscal_id, TaxReturnDocument.sha256)
            .join(CaseDocument, sa.and_(CaseDocument.case_id == Case.id, CaseDocument.is_current))
            .join(TaxReturnDocument, TaxReturnDocument.id == CaseDocument.document_id)
            .where(Case.state == CaseState.RETURN_RECEIVED, Case.product == Product.VAT_RETURN)
            .order_by(Case.period_end.desc(), Case.id)).all()
        # A fiscal number the simulator treats as the happy flow (its scenario table).
        chosen = next((c for c in candidates if (c.fiscal_id or "")[-2:] not in BY_SUFFIX), None)
        if chosen is None:
            return None
        session.execute(sa.update(Case).where(Case.id == chosen.id).values(state=CaseState.APPROVED))
        bulk_insert(session, AuditEvent, [audit(chosen.id, "approved", {"document_sha256": chosen.sha256,
                                                                        "by": "demo (stands in for the client)"},
                                                actor="demo")])
        return chosen.id


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
