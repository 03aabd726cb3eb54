"""Planning rules, on SQLite and PostgreSQL: one case per active client × product × period, idempotent."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.domain.errors import PlanningError
from sbrflow.models import Case, Client, ClientContact, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.planning import bulk_start_task, plan_periods_task, rerun_client_task

RUN = date(2026, 11, 23)  # horizon: periods that ended after 2025-11-23 and on or before 2026-11-23
plan = plan_periods_task.fn
bulk_start = bulk_start_task.fn
rerun = rerun_client_task.fn


def _fiscal(seed: int) -> str:
    """A 9-digit number passing the elfproef (RSIN/BSN)."""
    while True:
        head = f"{seed:08d}"
        check = sum(int(d) * w for d, w in zip(head, range(9, 1, -1))) % 11
        if check < 10:
            return head + str(check)
        seed += 1


def add_client(number: str, *subscriptions: tuple, status=ClientStatus.CLIENT, ready=True, members=None) -> None:
    """A client with subscriptions (product, frequency[, quarter start, active_from, active_until])."""
    with unit_of_work() as session:
        fiscal = _fiscal(int(number) * 7919)
        client = Client(client_number=number, kind=ClientKind.COMPANY, name=f"Client {number}", status=status,
                        legal_form=LegalForm.BV, rsin=fiscal, ob_number=fiscal + "B01",
                        payroll_tax_number=fiscal + "L01", sbr_enabled=ready, ideal_enabled=True)
        session.add(client)
        # The DGA holds the shares and is identified (Wwft): a BV without a UBO is not ready (ubo_unknown).
        person = Person(contact_number=f"P{number}", last_name="Jansen", email=f"c{number}@example.nl",
                        id_document_type="paspoort", id_document_number="NW1234567", id_verified_on=date(2026, 1, 1))
        session.add(ClientContact(client=client, person=person, is_primary=True, share_percentage=100))
        for product, frequency, *rest in subscriptions:
            start_month, active_from, active_until = (rest + [None, None, None])[:3]
            session.add(Subscription(client=client, product=product, frequency=frequency,
                                     quarter_start_month=start_month, active_from=active_from,
                                     active_until=active_until))
        for role in Role:
            code = (members or {}).get(role, "AB")
            member = session.scalars(sa.select(TeamMember).where(TeamMember.code == code)).one_or_none()
            member = member or TeamMember(code=code, name=code)
            session.add(RoleAssignment(client=client, role=role, team_member=member))


def cases(**where) -> list[Case]:
    with unit_of_work() as session:
        query = sa.select(Case).join(Client).order_by(Client.client_number, Case.product, Case.period_start)
        for key, value in where.items():
            query = query.where(Client.client_number == value if key == "client" else getattr(Case, key) == value)
        return list(session.scalars(query))


def update(model, number_or_code: str, **values) -> None:
    key = model.code if model is TeamMember else Client.client_number
    with unit_of_work() as session:
        session.execute(sa.update(model).where(key == number_or_code).values(**values))


def test_the_horizon_covers_the_periods_that_ended_in_the_twelve_months_before_run_date(db):
    add_client("1", (Product.VAT_RETURN, Frequency.MONTH), (Product.PAYROLL_RETURN, Frequency.MONTH))
    add_client("2", (Product.VAT_RETURN, Frequency.QUARTER))
    add_client("3", (Product.VAT_RETURN, Frequency.YEAR))
    summary = plan(RUN)
    labels = [c.period_label for c in cases(client="1", product=Product.VAT_RETURN)]
    assert labels == ["2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]
    assert [c.period_label for c in cases(client="2")] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [c.period_label for c in cases(client="3")] == ["2025"]
    assert summary["totals"]["created"] == 12 + 12 + 4 + 1
    october = cases(client="1", product=Product.VAT_RETURN, period_label="2026-10")[0]
    assert (october.period_start, october.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert (october.deadline, october.deadline_effective) == (date(2026, 11, 30), date(2026, 11, 30))
    assert october.state is CaseState.WAITING_FOR_RETURN  # vat_return starts on creation
    assert (october.template_code, october.template_version) == ("vat_return", 1)


def test_a_second_run_creates_nothing_and_changes_nothing(db):
    add_client("1", (Product.VAT_RETURN, Frequency.QUARTER))
    add_client("2", (Product.VAT_RETURN, Frequency.MONTH), ready=False)
    first = plan(RUN)
    before = [(c.id, c.state, c.blocked_reasons, c.updated_at) for c in cases()]
    second = plan(RUN)
    assert [(c.id, c.state, c.blocked_reasons, c.updated_at) for c in cases()] == before
    assert first["totals"]["created"] == 16 and second["totals"]["created"] == 0
    assert second["totals"] == {"created": 0, "existed": 16, "blocked": 12, "started": 0, "unblocked": 0,
                                "reblocked": 0}


def test_the_subscription_active_range_limits_the_periods(db):
    add_client("1", (Product.VAT_RETURN, Frequency.MONTH, None, date(2026, 5, 15)))
    add_client("2", (Product.VAT_RETURN, Frequency.MONTH, None, None, date(2026, 2, 10)))
    plan(RUN)
    assert [c.period_label for c in cases(client="1")] == [f"2026-{m:02d}" for m in range(5, 11)]
    assert [c.period_label for c in cases(client="2")] == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_shifted_quarters_are_planned_with_their_own_labels_and_deadlines(db):
    add_client("1", (Product.VAT_RETURN, Frequency.QUARTER, 2))
    plan(RUN)
    planned = cases(client="1")
    assert [c.period_label for c in planned] == ["2025-Q4-FEB", "2026-Q1-FEB", "2026-Q2-FEB", "2026-Q3-FEB"]
    q4 = planned[0]
    assert (q4.period_start, q4.period_end, q4.quarter_start_month) == (date(2025, 11, 1), date(2026, 1, 31), 2)
    assert q4.deadline == date(2026, 2, 28)


def test_four_weekly_payroll_is_planned_per_four_weeks(db):
    add_client("1", (Product.PAYROLL_RETURN, Frequency.FOUR_WEEKLY))
    plan(RUN)
    planned = cases(client="1")
    # 2025-P12 ends Sunday 30 Nov 2025 (inside the horizon); 2026-P11 ends Sunday 1 Nov 2026,
    # 2026-P12 only on 29 Nov: 13 periods.
    assert [c.period_label for c in planned] == ["2025-P12", "2025-P13"] + [f"2026-P{n:02d}" for n in range(1, 12)]
    p1 = planned[2]
    assert (p1.period_start, p1.period_end, p1.deadline) == (date(2026, 1, 1), date(2026, 1, 25), date(2026, 2, 25))


def test_a_client_that_is_not_ready_is_planned_blocked_with_reasons_and_unblocked_after_the_fix(db):
    add_client("1", (Product.VAT_RETURN, Frequency.QUARTER), ready=False)
    with unit_of_work() as session:
        session.execute(sa.delete(RoleAssignment).where(RoleAssignment.role == Role.ACCOUNTANT))
    summary = plan(RUN)
    blocked = cases(client="1")
    assert {c.state for c in blocked} == {CaseState.BLOCKED}
    assert {r["code"] for r in blocked[0].blocked_reasons} == {"sbr_not_enabled", "role_missing"}
    assert summary["rows"][0]["reasons"] == "role_missing=1, sbr_not_enabled=1"
    assert summary["totals"]["blocked"] == 4

    update(Client, "1", sbr_enabled=True)
    assert plan(RUN)["totals"]["reblocked"] == 4  # the reasons changed: only the role is missing now
    assert [r["code"] for r in cases(client="1")[0].blocked_reasons] == ["role_missing"]

    with unit_of_work() as session:
        client_id = session.scalar(sa.select(Client.id).where(Client.client_number == "1"))
        member_id = session.scalar(sa.select(TeamMember.id))
        session.add(RoleAssignment(client_id=client_id, role=Role.ACCOUNTANT, team_member_id=member_id))
    summary = plan(RUN)
    assert summary["totals"]["unblocked"] == 4
    assert {(c.state, c.blocked_reasons) for c in cases(client="1")} == {(CaseState.WAITING_FOR_RETURN, None)}


def test_a_started_case_is_not_blocked_again_but_the_next_period_is_created_blocked(db):
    add_client("1", (Product.VAT_RETURN, Frequency.YEAR))
    plan(RUN)
    update(Client, "1", sbr_enabled=False)
    plan(date(2027, 1, 5))
    assert [(c.period_label, c.state) for c in cases(client="1")] == [
        ("2025", CaseState.WAITING_FOR_RETURN), ("2026", CaseState.BLOCKED)]


def test_only_clients_with_status_client_are_planned_and_a_former_clients_waiting_cases_are_blocked(db):
    add_client("1", (Product.VAT_RETURN, Frequency.YEAR), status=ClientStatus.PROSPECT)
    add_client("2", (Product.VAT_RETURN, Frequency.YEAR))
    plan(RUN)
    assert cases(client="1") == []
    update(Client, "2", status=ClientStatus.FORMER_CLIENT)
    plan(date(2027, 11, 23))  # a year later: no 2026 case for the former client
    (case,) = cases(client="2")
    assert case.state is CaseState.BLOCKED and case.blocked_reasons[0]["code"] == "not_a_client"


def test_manual_templates_are_planned_and_wait_for_a_person_to_start_them(db):
    add_client("1", (Product.INCOME_TAX, Frequency.YEAR))
    plan(RUN)
    (case,) = cases(client="1")
    assert (case.period_label, case.state, case.deadline) == ("2025", CaseState.PLANNED, None)


def test_bulk_start_selects_clients_by_number_or_by_member_and_role(db):
    add_client("1", (Product.INCOME_TAX, Frequency.YEAR), members={Role.FISCAAL: "JV"})
    add_client("2", (Product.INCOME_TAX, Frequency.YEAR), members={Role.FISCAAL: "SM"})
    add_client("3", (Product.INCOME_TAX, Frequency.YEAR), members={Role.FISCAAL: "JV"}, ready=False)
    add_client("4", (Product.VAT_RETURN, Frequency.YEAR))
    # 2026 has not ended on RUN: only a forced bulk start takes it (see the refusal test below).
    result = bulk_start(RUN, Product.INCOME_TAX, "2026", member="JV", role=Role.FISCAAL, force=True)
    assert result["totals"]["created"] == 2 and result["totals"]["started"] == 1
    assert [(c.period_label, c.state) for c in cases(client="1")] == [("2026", CaseState.WAITING_FOR_RETURN)]
    assert [c.state for c in cases(client="3")] == [CaseState.BLOCKED]
    assert cases(client="2") == [] and cases(client="4") == []

    bulk_start(RUN, Product.INCOME_TAX, "2026", client_numbers=["2"], force=True)
    assert [c.state for c in cases(client="2")] == [CaseState.WAITING_FOR_RETURN]
    assert bulk_start(RUN, Product.INCOME_TAX, "2026", member="SM", force=True)["totals"]["existed"] == 1  # any role


def test_bulk_start_refuses_a_period_that_has_not_ended_and_a_selection_of_nobody_unless_forced(db):
    add_client("1", (Product.PAYROLL_RETURN, Frequency.MONTH))
    add_client("2", (Product.INCOME_TAX, Frequency.YEAR))
    with pytest.raises(PlanningError, match="has not ended yet.*--force"):
        bulk_start(RUN, Product.INCOME_TAX, "2026")
    with pytest.raises(PlanningError, match="selects no client"):
        bulk_start(RUN, Product.PAYROLL_RETURN, "2026-Q3")  # nobody files payroll quarterly
    assert cases() == []
    assert bulk_start(RUN, Product.INCOME_TAX, "2026", force=True)["totals"]["created"] == 1
    assert bulk_start(RUN, Product.PAYROLL_RETURN, "2026-Q3", force=True)["rows"] == []


def test_bulk_start_starts_planned_cases_and_a_dry_run_writes_nothing(db):
    add_client("1", (Product.INCOME_TAX, Frequency.YEAR))
    add_client("2", (Product.INCOME_TAX, Frequency.YEAR))
    plan(RUN)  # 2025 cases, planned
    dry = bulk_start(RUN, Product.INCOME_TAX, "2025", dry_run=True)
    assert [(w["client_number"], w["action"]) for w in dry["would_create"]] == [("1", "start"), ("2", "start")]
    assert dry["totals"]["started"] == 2
    assert {c.state for c in cases()} == {CaseState.PLANNED}
    bulk_start(RUN, Product.INCOME_TAX, "2025")
    assert {c.state for c in cases()} == {CaseState.WAITING_FOR_RETURN}


def test_bulk_start_refuses_unknown_members_labels_and_a_role_without_member(db):
    add_client("1", (Product.VAT_RETURN, Frequency.MONTH))
    with pytest.raises(PlanningError, match="no team member"):
        bulk_start(RUN, Product.VAT_RETURN, "2026-03", member="XX")
    with pytest.raises(PlanningError, match="give --member"):
        bulk_start(RUN, Product.VAT_RETURN, "2026-03", role=Role.FISCAAL)
    with pytest.raises(PlanningError, match="not a period label"):
        bulk_start(RUN, Product.VAT_RETURN, "March")
    with pytest.raises(PlanningError, match="no client"):
        bulk_start(RUN, Product.VAT_RETURN, "2026-03", client_numbers=["999"])


def test_rerun_replans_one_client_only(db):
    add_client("1", (Product.VAT_RETURN, Frequency.QUARTER), ready=False)
    add_client("2", (Product.VAT_RETURN, Frequency.QUARTER), ready=False)
    plan(RUN)
    update(Client, "1", sbr_enabled=True)
    update(Client, "2", sbr_enabled=True)
    add_client("3", (Product.VAT_RETURN, Frequency.QUARTER))
    result = rerun(RUN, "1")
    assert result["totals"]["unblocked"] == 4
    assert {c.state for c in cases(client="1")} == {CaseState.WAITING_FOR_RETURN}
    assert {c.state for c in cases(client="2")} == {CaseState.BLOCKED}
    assert cases(client="3") == []
    # One named period, even outside the horizon.
    rerun(RUN, "3", product=Product.VAT_RETURN, period_label="2024-Q2")
    assert [c.period_label for c in cases(client="3")] == ["2024-Q2"]


def test_a_product_override_held_by_an_inactive_member_blocks_that_product_only(db):
    add_client("1", (Product.VAT_RETURN, Frequency.QUARTER), (Product.PAYROLL_RETURN, Frequency.MONTH))
    with unit_of_work() as session:  # salaris for payroll goes to a member who has left
        client_id = session.scalar(sa.select(Client.id).where(Client.client_number == "1"))
        session.add(RoleAssignment(client_id=client_id, role=Role.SALARIS, product=Product.PAYROLL_RETURN,
                                   team_member=TeamMember(code="XX", name="Left", active=False)))
    plan(RUN)
    payroll = {c.state for c in cases(client="1", product=Product.PAYROLL_RETURN)}
    vat = {c.state for c in cases(client="1", product=Product.VAT_RETURN)}
    assert payroll == {CaseState.BLOCKED} and vat == {CaseState.WAITING_FOR_RETURN}
    assert {r["code"] for r in cases(client="1", product=Product.PAYROLL_RETURN)[0].blocked_reasons} == {
        "role_missing"}
