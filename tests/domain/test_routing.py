"""The routing state machine, without a database."""

from __future__ import annotations

import pytest

from sbrflow.domain.case_states import CaseState, StageState
from sbrflow.domain.enums import Role
from sbrflow.domain.routing import (
    Action,
    Actor,
    CaseView,
    CheckpointNotFound,
    CheckpointView,
    RoutingRefused,
    StageView,
    client_approves,
    client_rejects,
    complete_stage,
    enter_first_stage,
    may_act,
    may_reassign,
    on_document_attached,
    reassign,
    send_back,
    tick,
    unblock,
    untick,
)

HOLDERS = {Role.ADMINISTRATIE: "AD", Role.ACCOUNTANT: "AC", Role.RELATIEBEHEERDER: "RB"}
AD = Actor("AD", True, frozenset({Role.ADMINISTRATIE}))
AC = Actor("AC", True, frozenset({Role.ACCOUNTANT}))
RB = Actor("RB", True, frozenset({Role.RELATIEBEHEERDER}))
XX = Actor("XX", True, frozenset())


def _case(forward: bool = True) -> CaseView:
    stages = (
        StageView("verwerken", "Verwerken", Role.ADMINISTRATIE,
                  checkpoints=(CheckpointView(1, "bank", True), CheckpointView(2, "kas", False))),
        StageView("beoordelen", "Beoordelen", Role.ACCOUNTANT,
                  checkpoints=(CheckpointView(1, "volledig", True), CheckpointView(2, "suppletie", True))),
    )
    return CaseView(812, "1002", CaseState.RETURN_RECEIVED, None, stages, forward_to_client=forward)


def _in_progress() -> CaseView:
    return enter_first_stage(_case(), HOLDERS).case


def test_a_new_return_moves_a_waiting_case_to_return_received_and_a_correction_restarts_one_under_way():
    assert on_document_attached(CaseState.WAITING_FOR_RETURN, replaces_current=False)[0] is CaseState.RETURN_RECEIVED
    state, event = on_document_attached(CaseState.WITH_CLIENT, replaces_current=True)
    assert (state, event.action) == (CaseState.RETURN_RECEIVED, Action.CORRECTED)
    assert on_document_attached(CaseState.IN_PROGRESS, replaces_current=False) is None
    # A case blocked by planning is not under way; one blocked by routing in a stage is.
    assert on_document_attached(CaseState.BLOCKED, replaces_current=True) is None
    assert on_document_attached(CaseState.BLOCKED, replaces_current=True, routed=True)[0] is CaseState.RETURN_RECEIVED


def test_the_first_stage_goes_to_the_holder_of_its_role():
    outcome = enter_first_stage(_case(), HOLDERS)
    assert (outcome.case.state, outcome.case.current_stage) == (CaseState.IN_PROGRESS, "verwerken")
    assert outcome.case.stages[0].assignee == "AD" and outcome.case.stages[0].state is StageState.ACTIVE
    assert [e.action for e in outcome.events] == [Action.STAGE_STARTED]


def test_nobody_holding_the_role_blocks_the_case_naming_the_role_and_a_holder_later_unblocks_it():
    blocked = enter_first_stage(_case(), {}).case
    assert blocked.state is CaseState.BLOCKED and blocked.current_stage == "verwerken"
    assert blocked.blocked_reasons[0]["code"] == "role_missing" and blocked.blocked_reasons[0]["role"] == "administratie"
    assert unblock(blocked, {}) is None
    outcome = unblock(blocked, HOLDERS)
    assert outcome.case.state is CaseState.IN_PROGRESS and outcome.case.stages[0].assignee == "AD"
    assert outcome.events[0].action == Action.UNBLOCKED


def test_a_stage_completes_only_when_mandatory_checkpoints_are_ticked():
    case = _in_progress()
    with pytest.raises(RoutingRefused, match=r"stage 'verwerken' of case 812 has 1 mandatory checkpoint open: 1\. bank"):
        complete_stage(case, AD, HOLDERS)
    case = tick(case, AD, 1).case
    outcome = complete_stage(case, AD, HOLDERS)
    assert outcome.case.current_stage == "beoordelen" and outcome.case.stages[1].assignee == "AC"
    assert outcome.case.stages[0].state is StageState.DONE


def test_a_member_without_the_role_is_refused_and_the_relatiebeheerder_and_role_holders_may_act():
    case = _in_progress()
    with pytest.raises(RoutingRefused, match="XX does not hold role administratie for client 1002"):
        tick(case, XX, 1)
    assert tick(case, RB, 1).case.stages[0].checkpoints[0].ticked_by == "RB"
    other = Actor("AD2", True, frozenset({Role.ADMINISTRATIE}))
    assert tick(case, other, 1).case.stages[0].checkpoints[0].ticked_by == "AD2"
    with pytest.raises(RoutingRefused, match="not an active team member"):
        tick(case, Actor("AD", False, frozenset({Role.ADMINISTRATIE})), 1)


def test_untick_records_who_had_ticked_and_unknown_positions_are_not_found():
    case = tick(_in_progress(), AD, 1).case
    outcome = untick(case, AD, 1)
    assert outcome.case.stages[0].checkpoints[0].ticked_by is None
    assert outcome.events[0].details["was_ticked_by"] == "AD"
    with pytest.raises(CheckpointNotFound):
        tick(case, AD, 9)


def test_the_last_stage_goes_to_the_client_or_straight_to_approved():
    case = complete_stage(tick(_in_progress(), AD, 1).case, AD, HOLDERS).case
    case = tick(tick(case, AC, 1).case, AC, 2).case
    done = complete_stage(case, AC, HOLDERS)
    assert (done.case.state, done.case.current_stage) == (CaseState.WITH_CLIENT, None)
    assert done.events[-1].action == Action.TO_CLIENT
    from dataclasses import replace
    assert complete_stage(replace(case, forward_to_client=False), AC, HOLDERS).case.state is CaseState.APPROVED


def test_reassigning_to_a_member_without_the_role_needs_force_and_is_recorded():
    case = _in_progress()
    with pytest.raises(RoutingRefused, match="use --force"):
        reassign(case, AD, XX, reason="holiday")
    outcome = reassign(case, AD, XX, reason="holiday", force=True)
    assert outcome.case.stages[0].assignee == "XX"
    assert outcome.events[0].details == {"stage": "verwerken", "reason": "holiday", "forced": True}
    assert reassign(case, RB, Actor("AD2", True, frozenset({Role.ADMINISTRATIE}))).events[0].details["forced"] is False


def test_an_admin_may_reassign_a_stage_they_hold_no_role_on_and_the_event_says_so():
    case = _in_progress()
    admin = Actor("BE", True, frozenset(), admin=True)
    ad2 = Actor("AD2", True, frozenset({Role.ADMINISTRATIE}))
    assert may_reassign(case, case.stage("verwerken"), admin) is None
    outcome = reassign(case, admin, ad2, reason="ziek")
    assert outcome.case.stages[0].assignee == "AD2"
    assert outcome.events[0].details == {"stage": "verwerken", "reason": "ziek", "forced": False, "as_admin": True}
    # An admin who also may act reassigns as anyone would: nothing extra recorded.
    assert "as_admin" not in reassign(case, Actor("AD", True, frozenset({Role.ADMINISTRATIE}), admin=True),
                                      ad2).events[0].details
    # Still the rule for whom it goes to: without the role only with force.
    with pytest.raises(RoutingRefused, match="XX does not hold role administratie .* use --force"):
        reassign(case, admin, XX)


def test_a_member_who_is_not_admin_and_may_not_act_cannot_reassign_and_is_told_why():
    case = _in_progress()
    with pytest.raises(RoutingRefused, match="XX does not hold role administratie for client 1002 .*; "
                                             "only an admin may reassign a stage they cannot act on"):
        reassign(case, XX, Actor("AD2", True, frozenset({Role.ADMINISTRATIE})))
    with pytest.raises(RoutingRefused, match="^BE is not an active team member$"):
        reassign(case, Actor("BE", False, frozenset(), admin=True), Actor("AD2", True, frozenset({Role.ADMINISTRATIE})))


def test_being_admin_does_not_let_a_member_tick_complete_or_send_back_a_stage_they_may_not_act_on():
    admin = Actor("BE", True, frozenset(), admin=True)
    case = _in_progress()
    for refused in (lambda: tick(case, admin, 1), lambda: complete_stage(case, admin, HOLDERS)):
        with pytest.raises(RoutingRefused, match="BE does not hold role administratie"):
            refused()
    later = complete_stage(tick(case, AD, 1).case, AD, HOLDERS).case
    with pytest.raises(RoutingRefused, match="BE does not hold role accountant"):
        send_back(later, admin, "verwerken", "bank ontbreekt")
    assert may_act(case, case.stage("verwerken"), admin) is not None


def test_send_back_needs_a_reason_and_keeps_the_earlier_ticks():
    case = complete_stage(tick(_in_progress(), AD, 1).case, AD, HOLDERS).case
    with pytest.raises(RoutingRefused, match="needs a reason"):
        send_back(case, AC, "verwerken", " ")
    with pytest.raises(RoutingRefused, match="not before"):
        send_back(case, AC, "beoordelen", "x")
    outcome = send_back(case, AC, "verwerken", "bank not reconciled")
    assert outcome.case.current_stage == "verwerken" and outcome.case.stages[0].state is StageState.ACTIVE
    assert outcome.case.stages[1].state is StageState.PENDING
    assert outcome.case.stages[0].checkpoints[0].ticked_by == "AD"
    assert (outcome.events[0].from_, outcome.events[0].to) == ("beoordelen", "verwerken")


def test_the_client_approves_or_rejects_back_to_the_last_stage_with_the_reason():
    case = complete_stage(tick(_in_progress(), AD, 1).case, AD, HOLDERS).case
    case = complete_stage(tick(tick(case, AC, 1).case, AC, 2).case, AC, HOLDERS).case
    assert client_approves(case, {"sha256": "ab"}).case.state is CaseState.APPROVED
    rejected = client_rejects(case, "omzet klopt niet")
    assert (rejected.case.state, rejected.case.current_stage) == (CaseState.IN_PROGRESS, "beoordelen")
    assert rejected.case.stages[1].assignee == "AC"
    assert rejected.events[0].details["reason"] == "omzet klopt niet"
    with pytest.raises(RoutingRefused):
        client_approves(_in_progress())


def test_a_restart_after_a_correction_clears_every_tick():
    case = complete_stage(tick(_in_progress(), AD, 1).case, AD, HOLDERS).case
    from dataclasses import replace
    restarted = enter_first_stage(replace(case, state=CaseState.RETURN_RECEIVED, current_stage=None), HOLDERS)
    assert restarted.case.current_stage == "verwerken"
    assert all(c.ticked_by is None for s in restarted.case.stages for c in s.checkpoints)
    assert [s.state for s in restarted.case.stages] == [StageState.ACTIVE, StageState.PENDING]
    assert restarted.events[0].details["ticks_cleared"] == 1
