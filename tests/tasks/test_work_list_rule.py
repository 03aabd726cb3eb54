"""The work list's SQL selects exactly what routing's rule allows (may_act + RoleHolders), on both databases.

`work_list` picks the stages in one set-based query (tasks/routing.py `_work_case_ids`); the rule itself is
domain.routing.may_act with the role rule of domain.readiness.RoleHolders. Here a randomized office — general
assignments and product overrides, inactive members (as general holder and as override), relatiebeheerders,
stages assigned to members without the role or to nobody, cases in other states, ticks and unticks, equal
deadlines and missing ones — is judged case by case by the rule, and the result must be work_list's, in its
order (effective deadline, missing last, then period, then case id).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import load_templates
from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, Product, Role
from sbrflow.domain.routing import may_act
from sbrflow.models import Case, CaseStage, Client, RoleAssignment, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.models.routing import CaseCheckpoint
from sbrflow.tasks.readiness import load_role_holders
from sbrflow.tasks.routing import _actor, _members, load_case_view, work_list

PRODUCTS = (Product.VAT_RETURN, Product.PAYROLL_RETURN)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _random_office(rng: random.Random) -> None:
    templates = load_templates(get_settings().workflows_dir)
    with unit_of_work() as session:
        members = [TeamMember(code=f"T{i}", name=f"Lid {i}", active=rng.random() > 0.25) for i in range(7)]
        clients = [Client(client_number=f"R{i:03}", kind=ClientKind.COMPANY, name=f"Klant {i}",
                          status=ClientStatus.CLIENT) for i in range(14)]
        session.add_all([*members, *clients])
        session.flush()
        for client in clients:
            for role in Role:
                if rng.random() < 0.55:
                    session.add(RoleAssignment(client_id=client.id, role=role,
                                               team_member_id=rng.choice(members).id))
                for product in PRODUCTS:
                    if rng.random() < 0.2:
                        session.add(RoleAssignment(client_id=client.id, role=role, product=product,
                                                   team_member_id=rng.choice(members).id))
        for client in clients:
            for product in PRODUCTS:
                template = templates[product.value]
                for month in rng.sample(range(1, 13), 3):
                    state = rng.choice([CaseState.IN_PROGRESS] * 5 + [CaseState.WITH_CLIENT, CaseState.BLOCKED])
                    current = rng.randrange(len(template.stages))
                    deadline = None if rng.random() < 0.15 else date(2026, 12, rng.choice([1, 1, 15, 31]))
                    case = Case(client_id=client.id, product=product, period_label=f"2026-{month:02}",
                                period_start=date(2026, month, 1), period_end=date(2026, month, 28),
                                frequency=Frequency.MONTH, template_code=template.code,
                                template_version=template.version, state=state,
                                current_stage=None if state is CaseState.WITH_CLIENT else template.stages[current].code,
                                deadline=deadline, deadline_effective=deadline)
                    session.add(case)
                    session.flush()
                    for position, stage in enumerate(template.stages, start=1):
                        stage_state = (StageState.DONE if position - 1 < current else
                                       StageState.ACTIVE if position - 1 == current else StageState.PENDING)
                        if state is CaseState.WITH_CLIENT:
                            stage_state = StageState.DONE
                        assignee = rng.choice([None, *members]) if stage_state is not StageState.PENDING else None
                        session.add(CaseStage(case_id=case.id, position=position, stage_code=stage.code,
                                              name=stage.name, role=stage.role, state=stage_state,
                                              team_member_id=assignee.id if assignee else None))
                        for number, _checkpoint in enumerate(stage.checkpoints, start=1):
                            if rng.random() < 0.4:
                                by = rng.choice([None, *members])  # None: ticked, then unticked again
                                session.add(CaseCheckpoint(case_id=case.id, stage_code=stage.code, position=number,
                                                           ticked_by_id=by.id if by else None,
                                                           ticked_at=NOW if by else None))


def _by_the_rule(code: str) -> list[dict]:
    """Every in-progress case judged one by one: routing's CaseView, RoleHolders and may_act."""
    with unit_of_work() as session:
        members = _members(session)
        member_id = members.id_of(code)
        cases = session.execute(sa.select(Case.id, Case.client_id, Case.product, Case.period_start,
                                          Case.deadline_effective, Client.name)
                                .join(Client, Client.id == Case.client_id)
                                .where(Case.state == CaseState.IN_PROGRESS)).all()
        holders = load_role_holders(session)
        chosen = []
        for row in cases:
            _case, view = load_case_view(session, row.id)
            stage = view.stage(view.current_stage)
            actor = _actor(holders, members, member_id, row.client_id, row.product)
            if stage.state is StageState.ACTIVE and may_act(view, stage, actor) is None:
                chosen.append(((row.deadline_effective is None, row.deadline_effective or date.min,
                                row.period_start, row.id), {
                    "case_id": row.id, "client_number": view.client_number, "client_name": row.name,
                    "product": row.product.value, "period_label": _case.period_label, "stage": stage.code,
                    "role": stage.role.value, "assignee": stage.assignee,
                    "deadline_effective": row.deadline_effective.isoformat() if row.deadline_effective else None,
                    "checkpoints_open": len(stage.open_mandatory())}))
        active = members.active[member_id]
    return [item for _key, item in sorted(chosen, key=lambda c: c[0])] if active else []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_work_list_is_exactly_the_stages_the_rule_lets_each_member_act_on_in_urgency_order(db, seed):
    _random_office(random.Random(seed))
    seen = 0
    for code in (f"T{i}" for i in range(7)):
        expected = _by_the_rule(code)
        assert work_list(code) == expected, code
        seen += len(expected)
    assert seen > 20  # the office is not trivially empty
