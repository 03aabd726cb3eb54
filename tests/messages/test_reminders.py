"""send-reminders' rules on SQLite and PostgreSQL: the staff digest, escalation once, idempotent reruns."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import Frequency, Product, Role
from sbrflow.domain.messages import MessageReason, MessageState
from sbrflow.models import Case, CaseStage, RoleAssignment, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.messages import Message
from sbrflow.tasks.reminders import run_reminders


def _messages(reason: MessageReason | None = None) -> list[Message]:
    with unit_of_work() as session:
        query = sa.select(Message).order_by(Message.id)
        if reason:
            query = query.where(Message.reason == reason)
        return session.scalars(query).all()


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def test_escalation_goes_once_to_the_relatiebeheerder_when_the_deadline_is_close(office):
    # The case's effective deadline is 2 November 2026; the window is 5 days.
    assert run_reminders(dt.date(2026, 10, 27))["escalations"] == 0
    first = run_reminders(dt.date(2026, 10, 28))
    assert first["escalations"] == 1 and first["queued"] == 1
    assert first["table"] == [{"product": "vat_return", "period": "2026-Q3", "kind": "escalation", "count": 1,
                               "clients": "1001"}]
    [message] = _messages(MessageReason.ESCALATION)
    assert message.recipient == "anna@kantoor.example" and message.team_member_id == office.manager_id
    assert message.case_id == office.case_id and "over 5 dagen" in message.body_text
    assert "Jansen" not in message.subject
    assert run_reminders(dt.date(2026, 10, 28))["queued"] == 0  # same date: nothing more
    assert run_reminders(dt.date(2026, 10, 30))["queued"] == 0  # one escalation per case
    assert len(_messages()) == 1


def test_an_approved_case_is_not_escalated_and_a_queued_escalation_is_cancelled(office):
    run_reminders(dt.date(2026, 10, 28))
    with unit_of_work() as session:
        session.get(Case, office.case_id).state = CaseState.APPROVED
    summary = run_reminders(dt.date(2026, 10, 29))
    assert summary["cancelled"] == 1 and summary["escalations"] == 0
    assert _messages()[0].state is MessageState.CANCELLED


def test_a_product_relatiebeheerder_gets_the_escalation_instead_of_the_general_one(office):
    with unit_of_work() as session:
        other = TeamMember(code="JV", name="Jan Visser", email="jan@kantoor.example")
        session.add(other)
        session.flush()
        session.add(RoleAssignment(client_id=office.client_id, role=Role.RELATIEBEHEERDER, team_member_id=other.id,
                                   product=Product.VAT_RETURN))
    run_reminders(dt.date(2026, 10, 28))
    assert [m.recipient for m in _messages()] == ["jan@kantoor.example"]


def test_an_escalation_without_an_active_relatiebeheerder_is_counted_not_queued(office):
    with unit_of_work() as session:
        session.get(TeamMember, office.manager_id).active = False
    summary = run_reminders(dt.date(2026, 10, 28))
    assert summary["without_recipient"] == 1 and summary["queued"] == 0


def _stage(session, case_id: int, member_id: int, code: str, started: dt.date, position: int = 1,
           state: StageState = StageState.ACTIVE) -> None:
    session.add(CaseStage(case_id=case_id, position=position, stage_code=code, role=Role.ADMINISTRATIE,
                          team_member_id=member_id, state=state, started_at=_utc(started)))


def test_a_team_member_gets_one_digest_a_day_with_all_their_overdue_stages(office):
    run_date = dt.date(2026, 12, 10)
    with unit_of_work() as session:
        pk = TeamMember(code="PK", name="Pieter Kok", email="pieter@kantoor.example")
        session.add(pk)
        session.flush()
        cases = []
        for label, start in (("2026-Q2", dt.date(2026, 4, 1)), ("2026-Q1", dt.date(2026, 1, 1)),
                             ("2025-Q4", dt.date(2025, 10, 1))):
            case = Case(client_id=office.client_id, product=Product.VAT_RETURN, period_label=label,
                        period_start=start, period_end=start + dt.timedelta(days=89), frequency=Frequency.QUARTER,
                        template_code="vat_return", template_version=1, state=CaseState.IN_PROGRESS)
            session.add(case)
            cases.append(case)
        session.flush()
        _stage(session, cases[0].id, pk.id, "verwerken", run_date - dt.timedelta(days=9))
        _stage(session, cases[1].id, pk.id, "samenstellen", run_date - dt.timedelta(days=6))
        _stage(session, cases[2].id, pk.id, "verwerken", run_date - dt.timedelta(days=2))  # not overdue yet
        _stage(session, cases[2].id, pk.id, "samenstellen", run_date - dt.timedelta(days=30), position=2,
               state=StageState.DONE)  # done: not in the digest
    summary = run_reminders(run_date)
    assert summary["digests"] == 1 and summary["digest_stages"] == 2
    [digest] = _messages(MessageReason.STAGE_DIGEST)
    assert digest.recipient == "pieter@kantoor.example" and digest.due_on == run_date
    assert "Administratie bijwerken" in digest.body_text and "Aangifte samenstellen" in digest.body_text
    assert "9 dagen open" in digest.body_text and "2026-Q2" in digest.body_html
    assert digest.subject == "2 fase(n) staan te lang open (10 december 2026)"
    assert run_reminders(run_date)["queued"] == 0  # once a day
    assert run_reminders(run_date + dt.timedelta(days=1))["digests"] == 1  # and again the next day


def test_a_dry_run_counts_and_writes_nothing(office):
    summary = run_reminders(dt.date(2026, 10, 28), dry_run=True)
    assert summary["due"] == 1 and summary["escalations"] == 1 and summary["queued"] == 0
    assert _messages() == []


def test_stage_assigned_and_submission_failed_go_to_the_right_member_once(office):
    from sbrflow.tasks.staff_messages import queue_stage_assigned, queue_submission_failed

    with unit_of_work() as session:
        stage = CaseStage(case_id=office.case_id, position=1, stage_code="beoordelen", role=Role.ACCOUNTANT,
                          team_member_id=office.manager_id, state=StageState.ACTIVE)
        session.add(stage)
        session.flush()
        assert queue_stage_assigned(session, stage) is True
        assert queue_stage_assigned(session, stage) is False  # once
        case = session.get(Case, office.case_id)
        assert queue_submission_failed(session, case, "210 Bericht voldoet niet aan de specificaties", "K1")
    assigned, failed = _messages()
    assert assigned.reason is MessageReason.STAGE_ASSIGNED and "Beoordeling en vrijgave" in assigned.subject
    assert failed.reason is MessageReason.SUBMISSION_FAILED and failed.recipient == "anna@kantoor.example"
    assert "210 Bericht voldoet niet" in failed.body_text and "Jansen" not in failed.subject
