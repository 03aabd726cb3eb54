"""Routing use cases: the set-based route pass, a member's work list, and the actions on one case.

The rules are in domain.routing (one state machine); who holds a role is the role rule of
domain.readiness.RoleHolders, loaded by tasks.readiness.load_role_holders. Every change is written
with its audit events in the same transaction.

The route pass claims the cases it moves with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so two
workers running it at once never move a case twice (the second skips the rows the first holds, and a
row the first already committed no longer matches the claim's WHERE when the second locks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from prefect import task
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import WorkflowTemplate, load_templates
from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import Product, Role
from sbrflow.domain.errors import InvalidIdentifier, InvalidPeriod, NotFound
from sbrflow.domain.payment_reference import payment_reference
from sbrflow.domain.periods import parse_label
from sbrflow.domain.readiness import RoleHolders
from sbrflow.domain.routing import (
    ROLE_MISSING,
    Actor,
    CaseView,
    CheckpointView,
    Event,
    Outcome,
    RoutingRefused,
    StageView,
    complete_stage,
    enter_first_stage,
    reassign,
    send_back,
    tick,
    unblock,
    untick,
)
from sbrflow.models import Case, CaseCheckpoint, CaseStage, Client, TeamMember, TemplateVersion
from sbrflow.models.bulk import bulk_insert
from sbrflow.models.cases import ReasonsJSON
from sbrflow.models.db import chunks as _chunks
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import AuditEvent, CaseDocument
from sbrflow.models.returns import TaxReturnDocument
from sbrflow.tasks.audit import case_history, record_events, system_actor
from sbrflow.tasks.readiness import load_role_holders

T = Case.__table__
ST = CaseStage.__table__
CP = CaseCheckpoint.__table__
def _templates() -> dict[str, WorkflowTemplate]:
    return load_templates(get_settings().workflows_dir)


class TemplateVersions:
    """The template versions cases run on: stored once (workflow_template_version), read from there after.

    A version not stored yet is taken from the template files when they hold that version; when the
    files have moved on, a case that has not entered its stages yet runs on the files' version (the
    route pass records it on the case). Cached for the pass.
    """

    def __init__(self, session: Session, files: Mapping[str, WorkflowTemplate] | None = None) -> None:
        self.session, self._files, self._cache = session, files, {}

    @property
    def files(self) -> Mapping[str, WorkflowTemplate]:
        if self._files is None:
            self._files = _templates()
        return self._files

    def get(self, code: str, version: int) -> WorkflowTemplate | None:
        key = (code, version)
        if key not in self._cache:
            self._cache[key] = self._load(code, version)
        return self._cache[key]

    def _load(self, code: str, version: int) -> WorkflowTemplate | None:
        stored = self.session.scalar(sa.select(TemplateVersion.definition).where(
            TemplateVersion.code == code, TemplateVersion.version == version))
        if stored is not None:
            return WorkflowTemplate.model_validate(stored)
        current = self.files.get(code)
        if current is None:
            return None
        if current.version != version:
            return self.get(code, current.version)
        dialect_insert = postgresql.insert if self.session.bind.dialect.name == "postgresql" else sqlite.insert
        self.session.execute(dialect_insert(TemplateVersion).values(
            code=code, version=version, definition=current.model_dump(mode="json"), stored_at=datetime.now(UTC),
        ).on_conflict_do_nothing(index_elements=["code", "version"]))
        return current


# --- members and roles ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Members:
    """Every team member's code and active flag by id (an office has hundreds, not millions)."""

    code: dict[int, str]
    active: dict[int, bool]

    def id_of(self, code: str) -> int:
        for member_id, member_code in self.code.items():
            if member_code == code:
                return member_id
        raise NotFound(f"no team member with code {code!r}")


def _members(session: Session) -> _Members:
    rows = session.execute(sa.select(TeamMember.id, TeamMember.code, TeamMember.active)).all()
    return _Members({i: c for i, c, _ in rows}, {i: a for i, _, a in rows})


def _holder_codes(holders: RoleHolders, members: _Members, client_id: int, product: Product,
                  roles: Iterable[Role] = tuple(Role)) -> dict[Role, str]:
    """Per role, the code of the active member who holds it for this client and product (the role rule)."""
    found: dict[Role, str] = {}
    for role in roles:
        member_id = holders.holder(client_id, role, product)
        if member_id is not None:
            found[role] = members.code[member_id]
    return found


def _actor(holders: RoleHolders, members: _Members, member_id: int, client_id: int, product: Product,
           admin: bool = False) -> Actor:
    roles = frozenset(r for r in Role if holders.holder(client_id, r, product) == member_id)
    return Actor(members.code[member_id], members.active[member_id], roles, admin)


def _is_admin(session: Session, code: str) -> bool:
    """The member's team account is marked admin (models/team.py; `sbrflow team admin CODE`)."""
    from sbrflow.models.team import TeamAccount

    return bool(session.scalar(
        sa.select(TeamAccount.is_admin).join(TeamMember, TeamMember.id == TeamAccount.team_member_id)
        .where(TeamMember.code == code)))


# --- one case: load, apply --------------------------------------------------------------------------

def _case(session: Session, case_id: int, *, lock: bool = False) -> Case:
    query = sa.select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update(of=Case)
    case = session.scalars(query).one_or_none()
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    return case


def load_case_view(session: Session, case_id: int, *, lock: bool = False) -> tuple[Case, CaseView]:
    """The case (locked FOR UPDATE on PostgreSQL when asked) and its routing facts."""
    case = _case(session, case_id, lock=lock)
    members = _members(session)
    template = TemplateVersions(session).get(case.template_code, case.template_version)
    return case, _view(session, case, members, template)


def _view(session: Session, case: Case, members: _Members, template: WorkflowTemplate | None) -> CaseView:
    ticked = {(code, position): members.code[by] for code, position, by in session.execute(
        sa.select(CP.c.stage_code, CP.c.position, CP.c.ticked_by_id)
        .where(CP.c.case_id == case.id, CP.c.ticked_by_id.is_not(None)))}
    defined = {s.code: s for s in template.stages} if template else {}

    def checkpoints(code: str) -> tuple[CheckpointView, ...]:
        stage = defined.get(code)
        return tuple(CheckpointView(i, c.text, c.mandatory, ticked.get((code, i)))
                     for i, c in enumerate(stage.checkpoints, start=1)) if stage else ()

    stages = tuple(
        StageView(s.stage_code, s.name or s.stage_code, s.role, s.state,
                  members.code[s.team_member_id] if s.team_member_id else None, checkpoints(s.stage_code))
        for s in sorted(case.stages, key=lambda s: s.position)
    )
    client_number = session.scalar(sa.select(Client.client_number).where(Client.id == case.client_id))
    return CaseView(case.id, client_number, case.state, case.current_stage, stages,
                    forward_to_client=template.sbr.forward_to_client if template else True,
                    blocked_reasons=tuple(case.blocked_reasons or ()))


def apply_outcome(session: Session, case: Case, before: CaseView, outcome: Outcome, *, actor: str,
                  now: datetime) -> None:
    """Write what a transition changed (case, stages, checkpoints) and its events, in this transaction."""
    after = outcome.case
    members = _members(session) if any(s.assignee or any(c.ticked_by for c in s.checkpoints)
                                       for s in after.stages) else _Members({}, {})
    ids = {code: i for i, code in members.code.items()}
    case.state, case.current_stage = after.state, after.current_stage
    case.blocked_reasons = [dict(r) for r in after.blocked_reasons] or None
    case.updated_at = now
    old_stages = {s.code: s for s in before.stages}
    rows = {s.stage_code: s for s in case.stages}
    for stage in after.stages:
        old, row = old_stages[stage.code], rows[stage.code]
        if stage.assignee != old.assignee:
            row.team_member_id = ids.get(stage.assignee) if stage.assignee else None
        if stage.state != old.state:
            row.state = stage.state
            if stage.state is StageState.ACTIVE:
                row.started_at, row.completed_at, row.completed_by_id = now, None, None
            elif stage.state is StageState.DONE:
                row.completed_at = now
                row.completed_by_id = ids.get(actor)
        old_ticks = {c.position: c.ticked_by for c in old.checkpoints}
        for checkpoint in stage.checkpoints:
            if checkpoint.ticked_by != old_ticks.get(checkpoint.position):
                values = {"ticked_by_id": ids.get(checkpoint.ticked_by) if checkpoint.ticked_by else None,
                          "ticked_at": now if checkpoint.ticked_by else None}
                changed = session.execute(
                    sa.update(CP).where(CP.c.case_id == case.id, CP.c.stage_code == stage.code,
                                        CP.c.position == checkpoint.position).values(**values)).rowcount
                if not changed:  # the first tick of this checkpoint
                    session.execute(sa.insert(CP).values(case_id=case.id, stage_code=stage.code,
                                                         position=checkpoint.position, **values))
    session.flush()
    record_events(session, [(case.id, e) for e in outcome.events], actor=actor, now=now)


@dataclass(frozen=True, slots=True)
class _Context:
    """What an action on one case may need besides the case and the actor."""

    client_id: int
    product: Product
    holders: RoleHolders
    members: _Members

    def holder_codes(self) -> dict[Role, str]:
        return _holder_codes(self.holders, self.members, self.client_id, self.product)

    def actor(self, code: str, *, admin: bool = False) -> Actor:
        return _actor(self.holders, self.members, self.members.id_of(code), self.client_id, self.product, admin)


def _act(case_id: int, member_code: str, action, *, now: datetime | None = None) -> dict[str, Any]:
    """Load a case and the acting member, run one domain transition, write it; returns the case's summary."""
    now = now or datetime.now(UTC)
    with unit_of_work() as session:
        case, before = load_case_view(session, case_id, lock=True)
        context = _Context(case.client_id, case.product, load_role_holders(session, [case.client_id]),
                           _members(session))
        acting = context.actor(member_code, admin=_is_admin(session, member_code))
        outcome = action(before, acting, context)
        apply_outcome(session, case, before, outcome, actor=member_code, now=now)
        return {"case_id": case.id, "state": case.state.value, "current_stage": case.current_stage,
                "events": [e.action for e in outcome.events]}


def tick_checkpoint(case_id: int, position: int, member: str, *, now: datetime | None = None) -> dict[str, Any]:
    """`sbrflow case tick`: tick checkpoint POSITION (1-based) of the current stage."""
    return _act(case_id, member, lambda case, actor, _: tick(case, actor, position), now=now)


def untick_checkpoint(case_id: int, position: int, member: str, *, now: datetime | None = None) -> dict[str, Any]:
    """`sbrflow case untick`."""
    return _act(case_id, member, lambda case, actor, _: untick(case, actor, position), now=now)


def complete_current_stage(case_id: int, member: str, *, now: datetime | None = None) -> dict[str, Any]:
    """`sbrflow case complete`: the next stage becomes active (or the case goes to the client)."""
    return _act(case_id, member, lambda case, actor, ctx: complete_stage(case, actor, ctx.holder_codes()), now=now)


def reassign_stage(case_id: int, to: str, by: str, *, stage: str | None = None, reason: str | None = None,
                   force: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """`sbrflow case reassign`: another active member takes the stage (without the role only with force).

    BY is whoever may act on the stage, or any active admin (domain.routing.may_reassign)."""
    return _act(case_id, by, lambda case, actor, ctx: reassign(case, actor, ctx.actor(to), stage_code=stage,
                                                               reason=reason, force=force), now=now)


def send_case_back(case_id: int, to_stage: str, by: str, reason: str, *, now: datetime | None = None,
                   ) -> dict[str, Any]:
    """`sbrflow case send-back`: an earlier stage becomes active again, with the reason recorded."""
    return _act(case_id, by, lambda case, actor, _: send_back(case, actor, to_stage, reason), now=now)


def apply_client_decision(session: Session, case_id: int, *, approved: bool, actor: str, reason: str | None = None,
                          details: Mapping[str, Any] | None = None, now: datetime | None = None) -> Outcome:
    """The client's answer, in the caller's transaction: with_client → approved, or back to the last stage.

    For the approval step (which stores its evidence in the same transaction); `actor` names the
    client side, e.g. `client:<contact_number>`; `details` e.g. the approved document's SHA-256.
    """
    from sbrflow.domain.routing import client_approves, client_rejects

    now = now or datetime.now(UTC)
    case, before = load_case_view(session, case_id, lock=True)
    outcome = client_approves(before, details) if approved else client_rejects(before, reason or "", details)
    apply_outcome(session, case, before, outcome, actor=actor, now=now)
    return outcome


# --- reading ---------------------------------------------------------------------------------------

def _document(session: Session, case: Case) -> dict[str, Any] | None:
    row = session.execute(
        sa.select(TaxReturnDocument.sha256, TaxReturnDocument.amount_due, TaxReturnDocument.fiscal_id,
                  TaxReturnDocument.tax)
        .join(CaseDocument, CaseDocument.document_id == TaxReturnDocument.id)
        .where(CaseDocument.case_id == case.id, CaseDocument.is_current.is_(True))
    ).one_or_none()
    if row is None:
        return None
    sha, amount, fiscal_id, tax = row
    reference = None
    if fiscal_id and tax:
        try:
            period = parse_label(case.period_label, case.frequency, case.quarter_start_month)
            reference = payment_reference(fiscal_id, period, tax)
        except (InvalidIdentifier, InvalidPeriod, ValueError):
            reference = None
    return {"sha256": sha, "amount_due": str(amount) if amount is not None else None,
            "payment_reference": reference}


def show_case(case_id: int) -> dict[str, Any]:
    """`sbrflow case show --json`: the case, its stages with checkpoints, its document and its history."""
    with unit_of_work() as session:
        case, view = load_case_view(session, case_id)
        ticked_at = {(code, pos): at for code, pos, at in session.execute(
            sa.select(CP.c.stage_code, CP.c.position, CP.c.ticked_at).where(CP.c.case_id == case.id))}
        return {
            "id": case.id, "client_number": view.client_number, "product": case.product.value,
            "period_label": case.period_label, "state": case.state.value, "current_stage": case.current_stage,
            "blocked_reasons": case.blocked_reasons or [],
            "deadline_effective": case.deadline_effective.isoformat() if case.deadline_effective else None,
            "document": _document(session, case),
            "stages": [{
                "code": s.code, "name": s.name, "role": s.role.value, "assignee": s.assignee, "state": s.state.value,
                "checkpoints": [{
                    "position": c.position, "text": c.text, "mandatory": c.mandatory, "ticked_by": c.ticked_by,
                    "ticked_at": (ticked_at.get((s.code, c.position)).isoformat()
                                  if c.ticked_by and ticked_at.get((s.code, c.position)) else None),
                } for c in s.checkpoints],
            } for s in view.stages],
            "history": case_history(session, case.id),
        }


def _work_case_ids(member_id: int) -> sa.CompoundSelect:
    """The ids of the in-progress cases whose current stage this active member may act on, in SQL.

    The set form of `may_act` (domain.routing) with the role rule of `RoleHolders.holder`
    (domain.readiness): the stage is assigned to the member, or the member holds the stage's role or
    relatiebeheerder for the client and the case's product — through the product's own assignment
    (override), or through the general one when that product has no override for the role. The caller
    has checked that the member is active (a holder counts only while active; an inactive member's
    override takes the role from the general holder, which the NOT EXISTS says). One UNION of three
    index-driven halves instead of an OR over every in-progress stage. The equivalence with the rule is
    tested on a randomized office on both databases (tests/tasks/test_work_list_rule.py).
    """
    from sbrflow.models import RoleAssignment

    RA = RoleAssignment.__table__
    OV = RA.alias("override")
    current = sa.and_(ST.c.case_id == T.c.id, ST.c.stage_code == T.c.current_stage)
    open_ = (T.c.state == CaseState.IN_PROGRESS.value, ST.c.state == StageState.ACTIVE.value)
    counts = sa.or_(RA.c.role == ST.c.role, RA.c.role == Role.RELATIEBEHEERDER.value)
    assigned = sa.select(ST.c.case_id.label("case_id")).where(
        ST.c.team_member_id == member_id, ST.c.state == StageState.ACTIVE.value)
    general = (
        sa.select(T.c.id).select_from(RA.join(T, T.c.client_id == RA.c.client_id).join(ST, current))
        .where(RA.c.team_member_id == member_id, RA.c.product.is_(None), *open_, counts,
               ~sa.exists().where(OV.c.client_id == RA.c.client_id, OV.c.role == RA.c.role,
                                  OV.c.product == T.c.product)))
    override = (
        sa.select(T.c.id).select_from(RA.join(T, sa.and_(T.c.client_id == RA.c.client_id,
                                                         T.c.product == RA.c.product)).join(ST, current))
        .where(RA.c.team_member_id == member_id, *open_, counts))
    return sa.union(assigned, general, override)


def work_list(member: str) -> list[dict[str, Any]]:
    """`sbrflow work list`: the active stages this member may act on, most urgent effective deadline first
    (then the earliest period). SQL selects the stages (`_work_case_ids`) and the ticked checkpoints of
    each, in one query; Python counts the open mandatory ones from the case's template version."""
    with unit_of_work() as session:
        members = _members(session)
        member_id = members.id_of(member)
        if not members.active[member_id]:
            return []
        chosen = _work_case_ids(member_id).subquery("chosen")
        ticked = CP.alias("ticked")
        rows = session.execute(
            sa.select(T.c.id, Client.client_number, Client.name, T.c.product, T.c.period_label, T.c.template_code,
                      T.c.template_version, ST.c.stage_code, ST.c.role, ST.c.team_member_id, T.c.deadline_effective,
                      ticked.c.position)
            .select_from(
                chosen.join(T, T.c.id == chosen.c.case_id)
                .join(ST, sa.and_(ST.c.case_id == T.c.id, ST.c.stage_code == T.c.current_stage))
                .join(Client, Client.id == T.c.client_id)
                .outerjoin(ticked, sa.and_(ticked.c.case_id == T.c.id, ticked.c.stage_code == T.c.current_stage,
                                           ticked.c.ticked_by_id.is_not(None))))
            .where(T.c.state == CaseState.IN_PROGRESS.value, ST.c.state == StageState.ACTIVE.value)
            .order_by(T.c.deadline_effective.is_(None), T.c.deadline_effective, T.c.period_start, T.c.id)
        ).all()
        versions = TemplateVersions(session)
        mandatory: dict[tuple[str, int, str], frozenset[int]] = {}
        items: list[dict[str, Any]] = []
        open_positions: set[int] = set()
        last = None
        for row in rows:  # one row per ticked checkpoint of the current stage (or one without), case by case
            if row.id != last:
                last = row.id
                key = (row.template_code, row.template_version, row.stage_code)
                if key not in mandatory:
                    template = versions.get(row.template_code, row.template_version)
                    stage = next((s for s in template.stages if s.code == row.stage_code), None) if template else None
                    mandatory[key] = frozenset(i for i, c in enumerate(stage.checkpoints if stage else (), start=1)
                                               if c.mandatory)
                open_positions = set(mandatory[key])
                items.append({"case_id": row.id, "client_number": row.client_number, "client_name": row.name,
                              "product": str(row.product), "period_label": row.period_label, "stage": row.stage_code,
                              "role": str(row.role),
                              "assignee": members.code.get(row.team_member_id) if row.team_member_id else None,
                              "deadline_effective": (row.deadline_effective.isoformat() if row.deadline_effective
                                                     else None),
                              "checkpoints_open": len(open_positions)})
            if row.position is not None and row.position in open_positions:
                open_positions.discard(row.position)
                items[-1]["checkpoints_open"] = len(open_positions)
        return items


def where_cases_stand(limit: int = 50) -> list[dict[str, Any]]:
    """Every case past waiting for its return: client, product, period, state, stage and its assignee."""
    with unit_of_work() as session:
        members = _members(session)
        assignee = (sa.select(ST.c.team_member_id)
                    .where(ST.c.case_id == T.c.id, ST.c.stage_code == T.c.current_stage).scalar_subquery())
        rows = session.execute(
            sa.select(T.c.id, Client.client_number, T.c.product, T.c.period_label, T.c.state, T.c.current_stage,
                      assignee)
            .join(Client, Client.id == T.c.client_id)
            .where(T.c.state.in_([s.value for s in (CaseState.RETURN_RECEIVED, CaseState.IN_PROGRESS,
                                                   CaseState.WITH_CLIENT, CaseState.APPROVED)])
                   | ((T.c.state == CaseState.BLOCKED.value) & T.c.current_stage.is_not(None)))
            .order_by(T.c.id).limit(limit))
        return [{"case_id": i, "client_number": n, "product": str(p), "period_label": label, "state": str(state),
                 "stage": stage, "assignee": members.code.get(m) if m else None}
                for i, n, p, label, state, stage, m in rows]


# --- the route pass ---

_TEMP = sa.MetaData()
# The decisions of the pass for cases entering their stages for the first time (one row per case), and
# the stages of the template versions they run on: three set-based statements then write the cases,
# their stage rows and their events, as the hand-written floor does (bench/bench_routing.py).
ROUTE_MOVE = sa.Table(
    "tmp_route_move", _TEMP,
    sa.Column("case_id", sa.Integer, primary_key=True),
    sa.Column("state", sa.String(32)), sa.Column("current_stage", sa.String(64)), sa.Column("assignee_id", sa.Integer),
    sa.Column("blocked_reasons", ReasonsJSON), sa.Column("template_code", sa.String(64)),
    sa.Column("template_version", sa.Integer), sa.Column("action", sa.String(64)),
    sa.Column("from_state", sa.String(64)), sa.Column("to_state", sa.String(64)),
    sa.Column("details", sa.JSON(none_as_null=True)),
    prefixes=["TEMPORARY"],
)
ROUTE_STAGE = sa.Table(
    "tmp_route_stage", _TEMP,
    sa.Column("template_code", sa.String(64), primary_key=True), sa.Column("template_version", sa.Integer, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True), sa.Column("stage_code", sa.String(64)),
    sa.Column("name", sa.String(200)), sa.Column("role", sa.String(32)),
    prefixes=["TEMPORARY"],
)


class _Rows:
    """bulk_insert takes a model; a temporary table is one too, for COPY's purposes."""

    def __init__(self, table: sa.Table) -> None:
        self.__table__ = table


def _write_moves(session: Session, moves: list[dict], used: Mapping[tuple[str, int], WorkflowTemplate], *,
                 actor: str, now: datetime) -> None:
    """Cases, their stage rows (the current one active and assigned, the rest pending) and one event each."""
    if not moves:
        return
    conn = session.connection()
    for table in (ROUTE_MOVE, ROUTE_STAGE):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))  # left over from a failed run
        table.create(conn)
    conn.execute(ROUTE_STAGE.insert(), [
        {"template_code": code, "template_version": version, "position": i, "stage_code": stage.code,
         "name": stage.name, "role": stage.role.value}
        for (code, version), template in used.items() for i, stage in enumerate(template.stages, start=1)])
    bulk_insert(session, _Rows(ROUTE_MOVE), moves)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {ROUTE_MOVE.name}; ANALYZE {ROUTE_STAGE.name}"))
    m, st = ROUTE_MOVE, ROUTE_STAGE
    session.execute(sa.update(T).where(T.c.id == m.c.case_id).values(
        state=m.c.state, current_stage=m.c.current_stage, blocked_reasons=m.c.blocked_reasons,
        template_version=m.c.template_version, updated_at=now))
    current = st.c.stage_code == m.c.current_stage
    session.execute(sa.insert(ST).from_select(
        ["case_id", "position", "stage_code", "name", "role", "state", "team_member_id", "started_at"],
        sa.select(m.c.case_id, st.c.position, st.c.stage_code, st.c.name, st.c.role,
                  sa.case((current, StageState.ACTIVE.value), else_=StageState.PENDING.value),
                  sa.case((current, m.c.assignee_id), else_=sa.null()),
                  sa.case((current, sa.literal(now, sa.DateTime(timezone=True))), else_=sa.null()))
        .select_from(m.join(st, sa.and_(st.c.template_code == m.c.template_code,
                                        st.c.template_version == m.c.template_version)))))
    A = AuditEvent.__table__
    session.execute(sa.insert(A).from_select(
        ["occurred_at", "actor", "action", "subject_type", "subject_id", "case_id", "from_state", "to_state",
         "details"],
        sa.select(sa.literal(now, sa.DateTime(timezone=True)), sa.literal(actor), m.c.action,
                  sa.literal("tax_case"), m.c.case_id, m.c.case_id, m.c.from_state, m.c.to_state, m.c.details)
        .order_by(m.c.case_id)))
    for table in (ROUTE_MOVE, ROUTE_STAGE):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))


_FRESH: dict[tuple[str, int, int], tuple[StageView, ...]] = {}


def _fresh_stages(template: WorkflowTemplate) -> tuple[StageView, ...]:
    """The stages of a template version as a case that has not entered them holds them (shared, immutable)."""
    # Keyed by code, version and identity: hashing a pydantic template walks all of it (0.1 ms a case).
    key = (template.code, template.version, id(template))
    if key not in _FRESH:
        if len(_FRESH) > 64:
            _FRESH.clear()
        _FRESH[key] = _build_fresh_stages(template)
    return _FRESH[key]


def _build_fresh_stages(template: WorkflowTemplate) -> tuple[StageView, ...]:
    return tuple(
        StageView(s.code, s.name, s.role, StageState.PENDING, None,
                  tuple(CheckpointView(i, c.text, c.mandatory) for i, c in enumerate(s.checkpoints, start=1)))
        for s in template.stages
    )


def _fresh_view(case_id: int, client_number: str, template: WorkflowTemplate) -> CaseView:
    return CaseView(case_id, client_number, CaseState.RETURN_RECEIVED, None, _fresh_stages(template),
                    forward_to_client=template.sbr.forward_to_client)


def route_pending(session: Session, *, actor: str, now: datetime | None = None,
                  templates: Mapping[str, WorkflowTemplate] | None = None) -> dict[str, Any]:
    """One set-based pass: every return_received case into its first stage, every role_missing block retried.

    Returns the counts and, per product × stage, the cases moved in and the blocked ones (client numbers).
    """
    now = now or datetime.now(UTC)
    versions = TemplateVersions(session, templates)
    waiting = sa.or_(T.c.state == CaseState.RETURN_RECEIVED.value,
                     sa.and_(T.c.state == CaseState.BLOCKED.value, T.c.current_stage.is_not(None)))
    claim = (sa.select(T.c.id, T.c.client_id, T.c.product, T.c.template_code, T.c.template_version, T.c.state,
                       Client.client_number)
             .join(Client, Client.id == T.c.client_id).where(waiting).order_by(T.c.id))
    if session.bind.dialect.name == "postgresql":
        claim = claim.with_for_update(of=T, skip_locked=True)
    claimed = session.execute(claim).all()
    summary: dict[str, Any] = {"considered": len(claimed), "moved": 0, "blocked": 0, "unblocked": 0,
                               "restarted": 0, "still_blocked": 0, "template_missing": 0, "rows": []}
    if not claimed:
        return summary
    ids = [r.id for r in claimed]
    with_stages: set[int] = set()
    for chunk in _chunks(ids):
        with_stages.update(session.scalars(sa.select(ST.c.case_id).where(ST.c.case_id.in_(chunk)).distinct()))
    members = _members(session)
    client_ids = sorted({r.client_id for r in claimed})
    holders = RoleHolders({}, {})
    for chunk in _chunks(client_ids):
        part = load_role_holders(session, chunk)
        holders = RoleHolders({**holders.general, **part.general}, {**holders.overrides, **part.overrides})

    moves: list[dict] = []  # one row per case entering its stages for the first time
    used: dict[tuple[str, int], WorkflowTemplate] = {}
    events: list[tuple[int, Event]] = []
    tally: dict[tuple[str, str], dict[str, Any]] = {}
    ids_of = {code: i for i, code in members.code.items()}

    def count(product: str, stage: str | None, key: str, client_number: str | None = None) -> None:
        row = tally.setdefault((product, stage or "-"), {"product": product, "stage": stage or "-", "moved_in": 0,
                                                        "blocked": 0, "blocked_reason": None, "blocked_clients": []})
        row[key] += 1
        if client_number is not None:
            row["blocked_reason"] = ROLE_MISSING
            row["blocked_clients"].append(client_number)

    for r in claimed:
        product = Product(r.product)
        if r.id in with_stages:  # a restart after a correction, or a routing block to retry: one by one
            case = session.get(Case, r.id)
            template = versions.get(case.template_code, case.template_version)
            before = _view(session, case, members, template)
            codes = _holder_codes(holders, members, r.client_id, product)
            outcome = enter_first_stage(before, codes) if case.state is CaseState.RETURN_RECEIVED \
                else unblock(before, codes)
            if outcome is None:
                summary["still_blocked"] += 1
                count(product.value, case.current_stage, "blocked", r.client_number)
                continue
            apply_outcome(session, case, before, outcome, actor=actor, now=now)
            key = "restarted" if before.state is CaseState.RETURN_RECEIVED else "unblocked"
            summary[key] += 1
            if outcome.case.state is CaseState.BLOCKED:
                summary["blocked"] += 1
                count(product.value, outcome.case.current_stage, "blocked", r.client_number)
            else:
                count(product.value, outcome.case.current_stage, "moved_in")
            continue
        template = versions.get(r.template_code, r.template_version)
        if template is None or CaseState(r.state) is not CaseState.RETURN_RECEIVED:
            summary["template_missing"] += template is None
            continue
        codes = _holder_codes(holders, members, r.client_id, product, (template.stages[0].role,))
        outcome = enter_first_stage(_fresh_view(r.id, r.client_number, template), codes)
        after = outcome.case
        (event, *more) = outcome.events
        moves.append({"case_id": r.id, "state": after.state.value, "current_stage": after.current_stage,
                      "assignee_id": ids_of.get(after.stage(after.current_stage).assignee),
                      "blocked_reasons": [dict(x) for x in after.blocked_reasons] or None,
                      "template_code": template.code, "template_version": template.version,
                      "action": event.action, "from_state": event.from_, "to_state": event.to,
                      "details": dict(event.details) or None})
        used.setdefault((template.code, template.version), template)
        events.extend((r.id, e) for e in more)
        if after.state is CaseState.BLOCKED:
            summary["blocked"] += 1
            count(product.value, after.current_stage, "blocked", r.client_number)
        else:
            summary["moved"] += 1
            count(product.value, after.current_stage, "moved_in")

    _write_moves(session, moves, used, actor=actor, now=now)
    record_events(session, events, actor=actor, now=now)
    summary["rows"] = [tally[k] for k in sorted(tally)]
    return summary


@task(name="route-pending-cases")
def route_pending_cases() -> dict[str, Any]:
    """Route every case whose conditions are met, in one transaction."""
    with unit_of_work() as session:
        return route_pending(session, actor=system_actor())


def route_once(*, actor: str = "system:cli", today: date | None = None) -> dict[str, Any]:
    """The route pass outside Prefect (demo, benchmarks)."""
    with unit_of_work() as session:
        return route_pending(session, actor=actor)


__all__ = [
    "RoutingRefused", "apply_client_decision", "apply_outcome", "complete_current_stage", "load_case_view", "reassign_stage",
    "route_pending", "route_pending_cases", "send_case_back", "show_case", "tick_checkpoint",
    "untick_checkpoint", "work_list",
]
