"""Messages to team members that other areas queue inside their own transaction: a stage was assigned
(routing), a submission failed for good (submission). One call each, in the caller's unit of work."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import load_templates
from sbrflow.domain.messages import PRODUCT_NAMES, MessageReason, RecipientKind
from sbrflow.models import Case, CaseStage, Client, TeamMember
from sbrflow.tasks.messages import queue_message, relatiebeheerder_member


def _case_values(session: Session, case: Case, member: TeamMember) -> dict:
    client = session.get(Client, case.client_id)
    return {"member_name": member.name, "client_name": client.name, "client_number": client.client_number,
            "product_name": PRODUCT_NAMES[case.product], "period_label": case.period_label, "case_ref": case.id}


def _stage_name(case: Case, stage_code: str) -> str:
    template = load_templates(get_settings().workflows_dir).get(case.template_code)
    try:
        return template.stage(stage_code).name if template else stage_code
    except KeyError:
        return stage_code


def queue_stage_assigned(session: Session, stage: CaseStage) -> bool:
    """Tell the stage's assignee that the stage is now theirs (once per stage and assignee).

    False when there is nobody to tell (no assignee, inactive, or no e-mail address)."""
    member = session.get(TeamMember, stage.team_member_id) if stage.team_member_id else None
    if member is None or not member.active or not member.email:
        return False
    case = session.get(Case, stage.case_id)
    values = _case_values(session, case, member) | {"stage_name": _stage_name(case, stage.stage_code)}
    return queue_message(session, reason=MessageReason.STAGE_ASSIGNED,
                         dedup_key=f"stage_assigned:{stage.id}:{member.id}", recipient=member.email, values=values,
                         recipient_kind=RecipientKind.TEAM_MEMBER, case_id=case.id, team_member_id=member.id)


def queue_submission_failed(session: Session, case: Case, error: str, attempt_ref: str) -> bool:
    """Tell the case's relatiebeheerder that Digipoort refused the return for good (once per attempt_ref,
    e.g. the submission's kenmerk). `error` is the status text: never personal data."""
    import sqlalchemy as sa

    member_id = session.execute(sa.select(relatiebeheerder_member(sa.literal(case.product.value),
                                                                  sa.literal(case.client_id)))).scalar()
    member = session.get(TeamMember, member_id) if member_id else None
    if member is None or not member.active or not member.email:
        return False
    values = _case_values(session, case, member) | {"error": error}
    return queue_message(session, reason=MessageReason.SUBMISSION_FAILED,
                         dedup_key=f"submission_failed:{case.id}:{attempt_ref}", recipient=member.email,
                         values=values, recipient_kind=RecipientKind.TEAM_MEMBER, case_id=case.id,
                         team_member_id=member.id)
