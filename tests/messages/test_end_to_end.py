"""From routing to the client's mailbox: a case routed through its stages goes to the client, the approval
request queues the mail in its own transaction, send-messages delivers it with the link, a reminder follows,
and once the client approved nothing more is sent. SQLite and PostgreSQL, real SMTP server."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from sbrflow.config.workflows import load_templates
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Role
from sbrflow.domain.messages import MessageReason, MessageState
from sbrflow.models import Case, RoleAssignment, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.messages import Message
from sbrflow.tasks import sending
from sbrflow.tasks.approval import decide_approval, request_pending_approvals
from sbrflow.tasks.reminders import run_reminders
from sbrflow.tasks.routing import complete_current_stage, route_once, tick_checkpoint

from .conftest import settings_for

T0 = dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)


def test_a_routed_case_reaches_the_clients_mailbox_with_its_link_and_reminders_stop_after_approval(
        case_with_client, smtp_server):
    office = case_with_client
    with unit_of_work() as session:
        for code, name, role in (("PK", "Pieter Kok", Role.ADMINISTRATIE), ("JV", "Jan Visser", Role.ACCOUNTANT)):
            member = TeamMember(code=code, name=name, email=f"{code.lower()}@kantoor.example")
            session.add(member)
            session.flush()
            session.add(RoleAssignment(client_id=office.client_id, role=role, team_member_id=member.id))
        session.get(Case, office.case_id).state = CaseState.RETURN_RECEIVED
    route_once()
    template = load_templates()["vat_return"]
    for stage in template.stages:
        member = {Role.ADMINISTRATIE: "PK", Role.ACCOUNTANT: "JV"}[stage.role]
        for position, _ in enumerate(stage.checkpoints, start=1):
            tick_checkpoint(office.case_id, position, member, now=T0)
        complete_current_stage(office.case_id, member, now=T0)
    with unit_of_work() as session:
        assert session.get(Case, office.case_id).state is CaseState.WITH_CLIENT
    assert request_pending_approvals(now=T0)["requested"] == 1

    assert sending.send_queued(smtp=settings_for(smtp_server), now=lambda: T0)["sent"] == 1
    [mail] = smtp_server.received
    token = re.search(r"/a/(\S+)", mail.text()).group(1)
    assert mail.rcpt_tos == ["piet@jansen.example"] and "staat voor u klaar" in mail.text()

    assert run_reminders(T0.date() + dt.timedelta(days=3))["client_reminders"] == 1
    sending.send_queued(smtp=settings_for(smtp_server), now=lambda: T0 + dt.timedelta(days=3))
    assert smtp_server.received[-1].subject.startswith("Herinnering 1:")

    decide_approval(token, "approved", now=T0 + dt.timedelta(days=4))
    assert run_reminders(T0.date() + dt.timedelta(days=6))["client_reminders"] == 0
    assert run_reminders(dt.date(2026, 10, 29))["escalations"] == 0  # approved: no escalation either
    with unit_of_work() as session:
        states = session.execute(sa.select(Message.reason, Message.state).order_by(Message.id)).all()
    assert states == [(MessageReason.APPROVAL_REQUEST, MessageState.SENT),
                      (MessageReason.CLIENT_REMINDER, MessageState.SENT)]
