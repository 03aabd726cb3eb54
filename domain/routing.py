"""Routing: the one state machine of a case and its stages. Pure: facts in, new facts and events out.

The whole life of a case (CaseState), with the function here that makes each move:

    planned / waiting_for_return ──on_document_attached──▶ return_received
    return_received ──enter_first_stage──▶ in_progress (stage 1 active, assigned)
                                      └──▶ blocked [role_missing, current_stage = stage 1]
    blocked [role_missing] ──unblock (CRM fixed: someone holds the role)──▶ in_progress
    in_progress ──tick / untick──▶ in_progress          (a checkpoint of the current stage)
    in_progress ──reassign──▶ in_progress               (another member; --force without the role)
    in_progress ──complete_stage──▶ in_progress (next stage active, assigned)
                                └──▶ blocked [role_missing] (nobody holds the next stage's role)
                                └──▶ with_client   (last stage; template sbr.forward_to_client)
                                └──▶ approved      (last stage; not forwarded to the client)
    in_progress ──send_back (reason)──▶ in_progress (an earlier stage active again; ticks stay)
    with_client ──client_approves──▶ approved
    with_client ──client_rejects (reason)──▶ in_progress (the last stage active again)
    return_received … submission_failed ──on_document_attached (a newer document replaces
        the current one)──▶ return_received ──enter_first_stage──▶ stage 1 again, every tick cleared
        (the review starts over for the new document; approvals of the old SHA-256 no longer count)
    approved ──▶ submitted ──▶ closed / submission_failed     (submission; not routing's)

The states of one stage (StageState): pending ──▶ active ──▶ done; a send-back or a client
rejection makes the stages from the target on pending again and the target active.

Who may act on a stage: its assignee, any active member who holds the stage's role for the client
(product override first — the caller works that out with the role rule of tasks/readiness), or the
client's relatiebeheerder. Everyone else is refused with the reason. An active admin (the team
account's `is_admin`) may also reassign any stage (`may_reassign`) — and nothing more: ticking,
completing and sending back stay with those who may act.

Every function returns an `Outcome` (the case as it is afterwards and the events to record) or
raises `RoutingRefused` whose message says why not. Nothing here reads a clock or a database: the
caller stamps the events with the time and the actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import Role
from sbrflow.domain.errors import NotFound, Refused

ROLE_MISSING = "role_missing"  # the blocked reason routing sets (same code as domain.readiness.Reason)

# A case not yet in review: a new document simply says its return is in.
AWAITING: frozenset[CaseState] = frozenset({CaseState.PLANNED, CaseState.WAITING_FOR_RETURN})
# A case past the start of review: a document that replaces the current one sends it back to the start.
# (A blocked case is under way only when routing blocked it in a stage: `routed` below.)
UNDER_WAY: frozenset[CaseState] = frozenset({
    CaseState.RETURN_RECEIVED, CaseState.IN_PROGRESS, CaseState.WITH_CLIENT, CaseState.APPROVED,
    CaseState.SUBMISSION_FAILED,
})


class RoutingRefused(Refused):
    """A routing action that is not allowed now; the message says why (one line)."""


# --- events -----------------------------------------------------------------------------------------

class Action:
    """The action names written to the audit trail (audit_event.action)."""

    RETURN_RECEIVED = "case.return_received"
    CORRECTED = "case.corrected"
    STAGE_STARTED = "stage.started"
    STAGE_COMPLETED = "stage.completed"
    TICK = "checkpoint.tick"
    UNTICK = "checkpoint.untick"
    REASSIGNED = "stage.reassigned"
    SENT_BACK = "stage.sent_back"
    BLOCKED = "case.blocked"
    UNBLOCKED = "case.unblocked"
    TO_CLIENT = "case.to_client"
    APPROVED = "case.approved"
    CLIENT_APPROVED = "case.client_approved"
    CLIENT_REJECTED = "case.client_rejected"


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the audit trail, without time and actor (the caller knows those)."""

    action: str
    from_: str | None = None
    to: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


# --- facts ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CheckpointView:
    """A checkpoint of one stage of one case, as copied from the case's template version."""

    position: int  # 1-based within the stage
    text: str
    mandatory: bool
    ticked_by: str | None = None  # team member code; None = open


@dataclass(frozen=True, slots=True)
class StageView:
    """One stage of one case."""

    code: str
    name: str
    role: Role
    state: StageState = StageState.PENDING
    assignee: str | None = None  # team member code
    checkpoints: tuple[CheckpointView, ...] = ()

    def open_mandatory(self) -> tuple[CheckpointView, ...]:
        return tuple(c for c in self.checkpoints if c.mandatory and c.ticked_by is None)


@dataclass(frozen=True, slots=True)
class CaseView:
    """What routing needs to know of one case."""

    case_id: int
    client_number: str
    state: CaseState
    current_stage: str | None
    stages: tuple[StageView, ...]
    forward_to_client: bool = True
    blocked_reasons: tuple[Mapping[str, Any], ...] = ()

    def stage(self, code: str) -> StageView:
        for stage in self.stages:
            if stage.code == code:
                return stage
        raise RoutingRefused(f"case {self.case_id} has no stage {code!r} "
                             f"(its stages: {', '.join(s.code for s in self.stages)})")

    def index(self, code: str) -> int:
        return [s.code for s in self.stages].index(self.stage(code).code)


@dataclass(frozen=True, slots=True)
class Actor:
    """A team member acting on a case, with the roles they hold for this client and product."""

    code: str
    active: bool = True
    roles: frozenset[Role] = frozenset()
    admin: bool = False  # may reassign any stage (team_account.is_admin); acts on stages like anyone else


@dataclass(frozen=True, slots=True)
class Outcome:
    """The case after a transition and the events to record, oldest first."""

    case: CaseView
    events: tuple[Event, ...]


# --- helpers ----------------------------------------------------------------------------------------

def _with_stage(case: CaseView, code: str, **changes: Any) -> CaseView:
    return replace(case, stages=tuple(replace(s, **changes) if s.code == code else s for s in case.stages))


def _require_state(case: CaseView, *states: CaseState, doing: str) -> None:
    if case.state not in states:
        allowed = " or ".join(s.value for s in states)
        raise RoutingRefused(f"cannot {doing} case {case.case_id}: it is {case.state.value}, not {allowed}")


def _current(case: CaseView, doing: str) -> StageView:
    _require_state(case, CaseState.IN_PROGRESS, doing=doing)
    if case.current_stage is None:  # pragma: no cover - an in-progress case always has a stage
        raise RoutingRefused(f"case {case.case_id} has no current stage")
    return case.stage(case.current_stage)


def may_act(case: CaseView, stage: StageView, actor: Actor) -> str | None:
    """None when the actor may act on this stage, else the reason why not (one sentence)."""
    if not actor.active:
        return f"{actor.code} is not an active team member"
    if actor.code == stage.assignee or stage.role in actor.roles or Role.RELATIEBEHEERDER in actor.roles:
        return None
    return (f"{actor.code} does not hold role {stage.role.value} for client {case.client_number} "
            f"(stage {stage.code!r} of case {case.case_id} is assigned to {stage.assignee or 'nobody'})")


def may_reassign(case: CaseView, stage: StageView, actor: Actor) -> str | None:
    """None when the actor may give this stage to someone else: whoever may act on it, or an active admin."""
    if actor.active and actor.admin:
        return None
    return may_act(case, stage, actor)


def _check_may_act(case: CaseView, stage: StageView, actor: Actor) -> None:
    reason = may_act(case, stage, actor)
    if reason is not None:
        raise RoutingRefused(reason)


def _activate(case: CaseView, code: str, holders: Mapping[Role, str]) -> Outcome:
    """Make `code` the active stage, assigned to the holder of its role, or block the case for the role."""
    stage = case.stage(code)
    holder = holders.get(stage.role)
    case = _with_stage(case, code, state=StageState.ACTIVE, assignee=holder)
    if holder is None:
        reason = {"code": ROLE_MISSING, "role": stage.role.value, "stage": code,
                  "message": f"nobody active holds role {stage.role.value} for client {case.client_number} "
                             f"(stage {code!r})"}
        blocked = replace(case, state=CaseState.BLOCKED, current_stage=code, blocked_reasons=(reason,))
        return Outcome(blocked, (Event(Action.BLOCKED, case.state.value, CaseState.BLOCKED.value,
                                       {"stage": code, "reason": ROLE_MISSING, "role": stage.role.value}),))
    started = replace(case, state=CaseState.IN_PROGRESS, current_stage=code, blocked_reasons=())
    return Outcome(started, (Event(Action.STAGE_STARTED, case.state.value, CaseState.IN_PROGRESS.value,
                                   {"stage": code, "assignee": holder}),))


# --- transitions ------------------------------------------------------------------------------------

def on_document_attached(state: CaseState, *, replaces_current: bool, routed: bool = False,
                         ) -> tuple[CaseState, Event] | None:
    """Matching tied a return to the case: the case's new state and the event, or None (no move).

    A case waiting for its return records that it is in; a case under way whose current document is
    replaced by a newer one (a correction) goes back to `return_received`, so routing starts its
    review over from the first stage. `routed`: the case has a current stage (so a blocked case was
    blocked by routing, in a stage, and is under way; one blocked by planning is not).
    """
    if state in AWAITING:
        return CaseState.RETURN_RECEIVED, Event(Action.RETURN_RECEIVED, state.value, CaseState.RETURN_RECEIVED.value)
    if replaces_current and (state in UNDER_WAY or (routed and state is CaseState.BLOCKED)):
        return CaseState.RETURN_RECEIVED, Event(Action.CORRECTED, state.value, CaseState.RETURN_RECEIVED.value,
                                                {"reason": "a newer document replaced the current one"})
    return None


def enter_first_stage(case: CaseView, holders: Mapping[Role, str]) -> Outcome:
    """return_received → the first stage, assigned to the holder of its role (or blocked for the role).

    `holders`: per role, the code of the active member who holds it for this client and product.
    A case that had been under way (a correction) starts over: every stage pending, every tick cleared.
    """
    _require_state(case, CaseState.RETURN_RECEIVED, doing="route")
    cleared = sum(1 for s in case.stages for c in s.checkpoints if c.ticked_by is not None)
    untouched = not cleared and all(s.state is StageState.PENDING and s.assignee is None for s in case.stages)
    fresh = case if untouched else replace(case, stages=tuple(
        replace(s, state=StageState.PENDING, assignee=None,
                checkpoints=tuple(replace(c, ticked_by=None) for c in s.checkpoints))
        for s in case.stages))
    outcome = _activate(fresh, case.stages[0].code, holders)
    if cleared:
        first = outcome.events[0]
        outcome = replace(outcome, events=(replace(first, details={**first.details, "ticks_cleared": cleared}),))
    return outcome


def unblock(case: CaseView, holders: Mapping[Role, str]) -> Outcome | None:
    """A case blocked for a missing role holder: assigned and unblocked once someone holds it, else None."""
    _require_state(case, CaseState.BLOCKED, doing="unblock")
    if case.current_stage is None or not any(r.get("code") == ROLE_MISSING for r in case.blocked_reasons):
        return None
    stage = case.stage(case.current_stage)
    holder = holders.get(stage.role)
    if holder is None:
        return None
    unblocked = replace(_with_stage(case, stage.code, state=StageState.ACTIVE, assignee=holder),
                        state=CaseState.IN_PROGRESS, blocked_reasons=())
    return Outcome(unblocked, (Event(Action.UNBLOCKED, CaseState.BLOCKED.value, CaseState.IN_PROGRESS.value,
                                     {"stage": stage.code, "assignee": holder, "role": stage.role.value}),))


def _checkpoint(case: CaseView, stage: StageView, position: int) -> CheckpointView:
    for checkpoint in stage.checkpoints:
        if checkpoint.position == position:
            return checkpoint
    raise CheckpointNotFound(f"stage {stage.code!r} of case {case.case_id} has no checkpoint {position} "
                             f"(it has {len(stage.checkpoints)})")


class CheckpointNotFound(RoutingRefused, NotFound):
    """A checkpoint position the current stage does not have (the CLI exits 2)."""


def _set_tick(case: CaseView, actor: Actor, position: int, tick: bool) -> Outcome:
    doing = "tick a checkpoint of" if tick else "untick a checkpoint of"
    stage = _current(case, doing)
    _check_may_act(case, stage, actor)
    checkpoint = _checkpoint(case, stage, position)
    if tick and checkpoint.ticked_by is not None:
        raise RoutingRefused(f"checkpoint {position} of stage {stage.code!r} of case {case.case_id} "
                             f"is already ticked by {checkpoint.ticked_by}")
    if not tick and checkpoint.ticked_by is None:
        raise RoutingRefused(f"checkpoint {position} of stage {stage.code!r} of case {case.case_id} is not ticked")
    checkpoints = tuple(replace(c, ticked_by=actor.code if tick else None) if c.position == position else c
                        for c in stage.checkpoints)
    after = _with_stage(case, stage.code, checkpoints=checkpoints)
    event = Event(Action.TICK if tick else Action.UNTICK, None, None,
                  {"stage": stage.code, "position": position, "text": checkpoint.text,
                   **({} if tick else {"was_ticked_by": checkpoint.ticked_by})})
    return Outcome(after, (event,))


def tick(case: CaseView, actor: Actor, position: int) -> Outcome:
    """Tick checkpoint `position` (1-based) of the current stage."""
    return _set_tick(case, actor, position, True)


def untick(case: CaseView, actor: Actor, position: int) -> Outcome:
    """Untick checkpoint `position` (1-based) of the current stage."""
    return _set_tick(case, actor, position, False)


def complete_stage(case: CaseView, actor: Actor, holders: Mapping[Role, str]) -> Outcome:
    """Complete the current stage: the next one becomes active; after the last, to the client or approved."""
    stage = _current(case, "complete a stage of")
    _check_may_act(case, stage, actor)
    missing = stage.open_mandatory()
    if missing:
        listed = "; ".join(f"{c.position}. {c.text}" for c in missing)
        raise RoutingRefused(f"stage {stage.code!r} of case {case.case_id} has {len(missing)} mandatory "
                             f"checkpoint{'s' if len(missing) != 1 else ''} open: {listed}")
    done = _with_stage(case, stage.code, state=StageState.DONE)
    events = [Event(Action.STAGE_COMPLETED, stage.code, None, {"stage": stage.code})]
    position = case.index(stage.code)
    if position + 1 < len(case.stages):
        nxt = case.stages[position + 1]
        events[0] = replace(events[0], to=nxt.code)
        outcome = _activate(done, nxt.code, holders)
        return Outcome(outcome.case, (*events, *outcome.events))
    target = CaseState.WITH_CLIENT if case.forward_to_client else CaseState.APPROVED
    finished = replace(done, state=target, current_stage=None)
    events.append(Event(Action.TO_CLIENT if target is CaseState.WITH_CLIENT else Action.APPROVED,
                        CaseState.IN_PROGRESS.value, target.value, {"last_stage": stage.code}))
    return Outcome(finished, tuple(events))


def reassign(case: CaseView, actor: Actor, to: Actor, *, stage_code: str | None = None, reason: str | None = None,
             force: bool = False) -> Outcome:
    """Give a stage (default: the current one) to another active member; without the role only with force."""
    _require_state(case, CaseState.IN_PROGRESS, CaseState.BLOCKED, doing="reassign a stage of")
    code = stage_code or case.current_stage
    if code is None:  # pragma: no cover
        raise RoutingRefused(f"case {case.case_id} has no current stage")
    stage = case.stage(code)
    if stage.state is StageState.DONE:
        raise RoutingRefused(f"stage {code!r} of case {case.case_id} is done; send the case back to it first")
    refusal = may_reassign(case, stage, actor)
    if refusal is not None:
        raise RoutingRefused(f"{refusal}; only an admin may reassign a stage they cannot act on"
                             if actor.active else refusal)
    as_admin = may_act(case, stage, actor) is not None  # allowed only because the actor is an admin
    if not to.active:
        raise RoutingRefused(f"{to.code} is not an active team member")
    if to.code == stage.assignee:
        raise RoutingRefused(f"stage {code!r} of case {case.case_id} is already assigned to {to.code}")
    has_role = stage.role in to.roles
    if not has_role and not force:
        raise RoutingRefused(f"{to.code} does not hold role {stage.role.value} for client {case.client_number}; "
                             "use --force to assign anyway (recorded)")
    after = _with_stage(case, code, assignee=to.code)
    details: dict[str, Any] = {"stage": code, "reason": reason, "forced": not has_role}
    if as_admin:
        details["as_admin"] = True
    events = [Event(Action.REASSIGNED, stage.assignee, to.code, details)]
    if case.state is CaseState.BLOCKED and code == case.current_stage:
        after = replace(_with_stage(after, code, state=StageState.ACTIVE), state=CaseState.IN_PROGRESS,
                        blocked_reasons=())
        events.append(Event(Action.UNBLOCKED, CaseState.BLOCKED.value, CaseState.IN_PROGRESS.value,
                            {"stage": code, "assignee": to.code}))
    return Outcome(after, tuple(events))


def _reopen_from(case: CaseView, code: str) -> CaseView:
    """Stages from `code` on pending again (their ticks kept), `code` active with its assignee."""
    index = case.index(code)
    stages = tuple(
        s if i < index else replace(s, state=StageState.ACTIVE if i == index else StageState.PENDING)
        for i, s in enumerate(case.stages)
    )
    return replace(case, stages=stages, state=CaseState.IN_PROGRESS, current_stage=code, blocked_reasons=())


def send_back(case: CaseView, actor: Actor, to_stage: str, reason: str) -> Outcome:
    """Send the case from its current stage back to an earlier one, with a mandatory reason."""
    stage = _current(case, "send back")
    _check_may_act(case, stage, actor)
    if not reason or not reason.strip():
        raise RoutingRefused("a send-back needs a reason (--reason)")
    target = case.stage(to_stage)
    if case.index(target.code) >= case.index(stage.code):
        raise RoutingRefused(f"stage {to_stage!r} is not before the current stage {stage.code!r} "
                             f"of case {case.case_id}")
    after = _reopen_from(case, target.code)
    return Outcome(after, (Event(Action.SENT_BACK, stage.code, target.code,
                                 {"reason": reason.strip(), "assignee": target.assignee}),))


def client_approves(case: CaseView, details: Mapping[str, Any] | None = None) -> Outcome:
    """with_client → approved (the approval step records what exactly was approved in `details`)."""
    _require_state(case, CaseState.WITH_CLIENT, doing="approve")
    return Outcome(replace(case, state=CaseState.APPROVED),
                   (Event(Action.CLIENT_APPROVED, CaseState.WITH_CLIENT.value, CaseState.APPROVED.value,
                          dict(details or {})),))


def client_rejects(case: CaseView, reason: str, details: Mapping[str, Any] | None = None) -> Outcome:
    """with_client → in_progress at the last stage, with the client's reason recorded."""
    _require_state(case, CaseState.WITH_CLIENT, doing="reject")
    if not reason or not reason.strip():
        raise RoutingRefused("a rejection needs the client's reason")
    last = case.stages[-1]
    after = _reopen_from(case, last.code)
    return Outcome(after, (Event(Action.CLIENT_REJECTED, CaseState.WITH_CLIENT.value, CaseState.IN_PROGRESS.value,
                                 {"reason": reason.strip(), "stage": last.code, "assignee": last.assignee,
                                  **dict(details or {})}),))
