"""Reminders and escalation, set-based over all cases: client reminders for open approval requests,
one daily digest per team member with stages open too long, one escalation per case whose deadline is close.

Each kind is a few queries over all cases (never one per case), the texts are rendered in Python, and
the new messages go into the outbox in one transaction. Every message has a key that makes a rerun
on the same date queue nothing more: `client_reminder:<request>:<n>`, `stage_digest:<member>:<date>`,
`escalation:<case>`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from prefect import task
from sqlalchemy.orm import Session, aliased

from sbrflow.config.message_texts import dutch_date, get_message_texts
from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import WorkflowTemplate, load_templates
from sbrflow.domain.case_states import FINISHED, CaseState, StageState
from sbrflow.domain.errors import WorkflowTemplateError
from sbrflow.domain.messages import (
    ESCALATE_WHILE,
    PRODUCT_NAMES,
    MessageReason,
    RecipientKind,
    escalation_window,
    mail_domain,
    reminder_cutoff,
)
from sbrflow.models import ApprovalRequest, Case, CaseStage, Client, Person, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.messages import Message
from sbrflow.tasks.messages import cancel_obsolete, message_row, queue_messages, relatiebeheerder_member

CASE_STATE_NAMES = {
    "planned": "gepland", "blocked": "geblokkeerd", "waiting_for_return": "wacht op aangifte",
    "return_received": "aangifte ontvangen", "in_progress": "in behandeling", "with_client": "bij de klant",
}


@dataclass
class ReminderPlan:
    """What one run queues (or, in a dry run, would queue)."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # outbox rows
    # (product, period) → reason → client numbers
    per_period: dict[tuple[str, str], dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    digests: int = 0
    digest_stages: int = 0
    without_recipient: int = 0  # due, but nobody to send it to (no active relatiebeheerder / no e-mail)


def _stage_names() -> dict[tuple[str, str], str]:
    try:
        templates: dict[str, WorkflowTemplate] = load_templates(get_settings().workflows_dir)
    except WorkflowTemplateError:  # a broken template folder must not stop reminders: stage codes will do
        return {}
    return {(t.code, s.code): s.name for t in templates.values() for s in t.stages}


def _escalations(session: Session, run_date: date, plan: ReminderPlan, ctx: dict) -> None:
    """One escalation per case not approved yet whose effective deadline is within the window."""
    first, last = escalation_window(run_date, ctx["settings"].escalation_days)
    manager = aliased(TeamMember)
    holder = relatiebeheerder_member(Case.product, Case.client_id).label("holder")
    due = (
        sa.select(Case.id, Case.product, Case.period_label, Case.deadline_effective, Case.state,
                  Client.client_number, Client.name, holder)
        .join(Client, Client.id == Case.client_id)
        .where(Case.deadline_effective.between(first, last), Case.state.in_(list(ESCALATE_WHILE)),
               ~sa.exists().where(Message.case_id == Case.id, Message.reason == MessageReason.ESCALATION))
    ).subquery()
    rows = session.execute(
        sa.select(due, manager.id, manager.name, manager.email)
        .outerjoin(manager, sa.and_(manager.id == due.c.holder, manager.active.is_(True),
                                    manager.email.is_not(None)))
        .order_by(due.c.id)
    ).all()
    for case_id, product, label, deadline, state, number, name, _holder, member_id, member_name, email in rows:
        if member_id is None:
            plan.without_recipient += 1
            continue
        values = {"member_name": member_name, "client_name": name, "client_number": number,
                  "product_name": PRODUCT_NAMES[product], "period_label": label, "deadline": dutch_date(deadline),
                  "days_left": (deadline - run_date).days, "case_state": CASE_STATE_NAMES.get(state.value, state.value),
                  "case_ref": case_id}
        plan.rows.append(message_row(
            reason=MessageReason.ESCALATION, dedup_key=f"escalation:{case_id}", recipient=email, values=values,
            recipient_kind=RecipientKind.TEAM_MEMBER, case_id=case_id, team_member_id=member_id, due_on=run_date,
            texts=ctx["texts"], domain=ctx["domain"]))
        plan.per_period[(product.value, label)]["escalation"].append(number)


def _digests(session: Session, run_date: date, plan: ReminderPlan, ctx: dict) -> None:
    """One message per team member listing all their stages open longer than the setting, once a day."""
    cutoff = datetime.combine(run_date - timedelta(days=ctx["settings"].stage_reminder_days), time(), tzinfo=UTC)
    already = sa.exists().where(
        Message.reason == MessageReason.STAGE_DIGEST, Message.team_member_id == TeamMember.id,
        Message.due_on == run_date)
    rows = session.execute(
        sa.select(TeamMember.id, TeamMember.name, TeamMember.email, Case.id, Case.product, Case.period_label,
                  Case.template_code, CaseStage.stage_code, CaseStage.started_at, Client.client_number, Client.name,
                  CaseStage.name)
        .join(CaseStage, CaseStage.team_member_id == TeamMember.id)
        .join(Case, Case.id == CaseStage.case_id)
        .join(Client, Client.id == Case.client_id)
        .where(CaseStage.state == StageState.ACTIVE, CaseStage.started_at < cutoff,
               Case.state.not_in(list(FINISHED)), TeamMember.active.is_(True), TeamMember.email.is_not(None),
               ~already)
        .order_by(TeamMember.id, CaseStage.started_at, Case.id)
    ).all()
    by_member: dict[int, list] = defaultdict(list)
    for row in rows:
        by_member[row[0]].append(row)
    names = ctx["stage_names"]
    for member_id, stages in by_member.items():
        _, member_name, email = stages[0][:3]
        items = [{"client_number": number, "client_name": client_name, "product_name": PRODUCT_NAMES[product],
                  "period_label": label, "stage_name": stage_name or names.get((template, stage), stage),
                  "case_ref": case_id, "open_days": (run_date - _as_date(started)).days}
                 for _, _, _, case_id, product, label, template, stage, started, number, client_name, stage_name
                 in stages]
        values = {"member_name": member_name, "stages": items, "count": len(items), "run_date": dutch_date(run_date)}
        plan.rows.append(message_row(
            reason=MessageReason.STAGE_DIGEST, dedup_key=f"stage_digest:{member_id}:{run_date.isoformat()}",
            recipient=email, values=values, recipient_kind=RecipientKind.TEAM_MEMBER, team_member_id=member_id,
            due_on=run_date, texts=ctx["texts"], domain=ctx["domain"]))
        plan.digests += 1
        plan.digest_stages += len(items)


def _as_date(value: datetime) -> date:
    return value.astimezone(UTC).date() if value.tzinfo else value.date()


def plan_reminders(session: Session, run_date: date) -> ReminderPlan:
    """Every reminder, digest and escalation due on run_date that was not made before."""
    settings = get_settings()
    ctx = {"settings": settings, "texts": get_message_texts(), "domain": mail_domain(settings.mail_from),
           "stage_names": _stage_names()}
    plan = ReminderPlan()
    _client_reminders(session, run_date, plan, ctx)
    _digests(session, run_date, plan, ctx)
    _escalations(session, run_date, plan, ctx)
    return plan


def _client_reminders(session: Session, run_date: date, plan: ReminderPlan, ctx: dict) -> None:
    """The next reminder for every open approval request whose request or last reminder is
    CLIENT_REMINDER_DAYS old, up to CLIENT_REMINDER_MAX (one query over all requests)."""
    from sbrflow.domain.approval import Presentation, RequestState

    settings = ctx["settings"]
    if settings.client_reminder_max < 1:
        return
    made = (sa.select(Message.approval_request_id, sa.func.count().label("n"), sa.func.max(Message.due_on).label("last"))
            .where(Message.reason == MessageReason.CLIENT_REMINDER, Message.approval_request_id.is_not(None))
            .group_by(Message.approval_request_id).subquery())
    count = sa.func.coalesce(made.c.n, 0)
    start_of_run = datetime.combine(run_date, time(), tzinfo=UTC)
    # Due: the request (any time that day) or the previous reminder is CLIENT_REMINDER_DAYS old, and
    # fewer than CLIENT_REMINDER_MAX reminders were made (domain.messages.reminder_due).
    cutoff = reminder_cutoff(run_date, settings.client_reminder_days)
    due = sa.and_(count < settings.client_reminder_max, ApprovalRequest.requested_at < _day_after(cutoff),
                  sa.or_(made.c.last.is_(None), made.c.last <= cutoff))
    rows = session.execute(
        sa.select(ApprovalRequest.id, ApprovalRequest.case_id, ApprovalRequest.requested_at,
                  ApprovalRequest.expires_at, ApprovalRequest.presentation, ApprovalRequest.recipient_email,
                  ApprovalRequest.recipient_person_id, count, Case.product, Case.period_label,
                  Case.deadline_effective, Client.client_number, Client.name, Person.first_name, Person.initials,
                  Person.name_prefix, Person.last_name)
        .join(Case, Case.id == ApprovalRequest.case_id)
        .join(Client, Client.id == Case.client_id)
        .outerjoin(Person, Person.id == ApprovalRequest.recipient_person_id)
        .outerjoin(made, made.c.approval_request_id == ApprovalRequest.id)
        .where(ApprovalRequest.state == RequestState.OPEN, ApprovalRequest.expires_at > start_of_run,
               ApprovalRequest.presentation != Presentation.INFORMATION, Case.state == CaseState.WITH_CLIENT, due)
        .order_by(ApprovalRequest.id)
    ).all()
    for (request_id, case_id, requested_at, expires, presentation, email, person_id, n_made, product, label,
         deadline, number, client_name, first, initials, prefix, last) in rows:
        n = n_made + 1
        name = " ".join(p for p in (first or initials, prefix, last) if p) or "heer/mevrouw"
        values = {"recipient_name": name, "client_name": client_name, "product_name": PRODUCT_NAMES[product],
                  "period_label": label, "deadline": dutch_date(deadline) or "-", "case_ref": case_id,
                  "reminder_number": n, "reminder_max": settings.client_reminder_max,
                  "requested_on": dutch_date(_as_date(requested_at)), "expires_on": dutch_date(_as_date(expires)),
                  "presentation": presentation.value}
        plan.rows.append(message_row(
            reason=MessageReason.CLIENT_REMINDER, dedup_key=f"client_reminder:{request_id}:{n}", recipient=email,
            values=values, recipient_kind=RecipientKind.CONTACT, case_id=case_id, approval_request_id=request_id,
            person_id=person_id, due_on=run_date, texts=ctx["texts"], domain=ctx["domain"]))
        plan.per_period[(product.value, label)][f"client_reminder_{n}"].append(number)


def _day_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def summary_of(plan: ReminderPlan, queued: int, cancelled: int, run_date: date, dry_run: bool) -> dict[str, Any]:
    """The run's counts and the table rows of its artifact (per product and period, with client numbers)."""
    table = []
    for (product, label), reasons in sorted(plan.per_period.items()):
        for reason, numbers in sorted(reasons.items()):
            table.append({"product": product, "period": label, "kind": reason, "count": len(numbers),
                          "clients": ", ".join(sorted(set(numbers)))})
    counts: dict[str, int] = defaultdict(int)  # by reason
    for row in plan.rows:
        counts[row["reason"].value] += 1
    return {"run_date": run_date.isoformat(), "dry_run": dry_run, "due": len(plan.rows), "queued": queued,
            "client_reminders": counts["client_reminder"], "escalations": counts["escalation"],
            "digests": plan.digests, "digest_stages": plan.digest_stages, "cancelled": cancelled,
            "without_recipient": plan.without_recipient, "table": table}


def run_reminders(run_date: date, *, dry_run: bool = False) -> dict[str, Any]:
    """Queue (or, dry run, only count) the reminders, digests and escalations due on run_date."""
    with unit_of_work() as session:
        now = datetime.now(UTC)
        cancelled = 0 if dry_run else cancel_obsolete(session, now)
        plan = plan_reminders(session, run_date)
        queued = 0 if dry_run else queue_messages(session, plan.rows)
        if dry_run:
            session.rollback()
    return summary_of(plan, queued, cancelled, run_date, dry_run)


@task(name="queue-reminders")
def queue_reminders(run_date: date, dry_run: bool = False) -> dict[str, Any]:
    """Queue the client reminders, staff digests and escalations due on run_date (idempotent per date)."""
    return run_reminders(run_date, dry_run=dry_run)
