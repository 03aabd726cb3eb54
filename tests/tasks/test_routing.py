"""Routing on SQLite and PostgreSQL: the full path to with_client, refusals, blocks, send-back,
corrections, the audit trail (append-only on PostgreSQL), the work list, concurrent passes."""

from __future__ import annotations

import sys
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Frequency, Product, Role
from sbrflow.domain.errors import NotFound
from sbrflow.domain.routing import RoutingRefused
from sbrflow.models import CaseStage, Client, RoleAssignment, TeamMember, TemplateVersion
from sbrflow.models.cases import Case
from sbrflow.models.db import get_engine, unit_of_work
from sbrflow.models.matching import AuditEvent
from sbrflow.tasks.matching import match_pending
from sbrflow.tasks.routing import (
    complete_current_stage,
    reassign_stage,
    route_once,
    send_case_back,
    show_case,
    tick_checkpoint,
    untick_checkpoint,
    work_list,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/routing_office.py (importlib mode)
from routing_office import TODAY, _doc, _office  # noqa: E402


def _matched_and_routed(**office) -> int:
    with unit_of_work() as session:
        case_id = _office(session, **office)
        _doc(session)
    with unit_of_work() as session:
        match_pending(session, today=TODAY, actor="system:test")
    route_once(actor="system:test")
    return case_id


def _tick_mandatory(case_id: int, member: str) -> None:
    case = show_case(case_id)
    stage = next(s for s in case["stages"] if s["code"] == case["current_stage"])
    for c in stage["checkpoints"]:
        if c["mandatory"] and not c["ticked_by"]:
            tick_checkpoint(case_id, c["position"], member)


def test_a_matched_return_goes_through_every_stage_to_with_client_with_a_complete_audit_trail(db):
    case_id = _matched_and_routed()
    case = show_case(case_id)
    assert (case["state"], case["current_stage"]) == ("in_progress", "verwerken")
    assert [(s["code"], s["assignee"], s["state"]) for s in case["stages"]] == [
        ("verwerken", "AD", "active"), ("samenstellen", None, "pending"), ("beoordelen", None, "pending")]
    assert case["document"]["amount_due"] == "1234.00" and len(case["document"]["sha256"]) == 64
    assert case["document"]["payment_reference"] is not None and len(case["document"]["payment_reference"]) == 16
    _tick_mandatory(case_id, "AD")
    complete_current_stage(case_id, "AD")
    _tick_mandatory(case_id, "AD")
    complete_current_stage(case_id, "AD")
    assert show_case(case_id)["stages"][2]["assignee"] == "AC"
    _tick_mandatory(case_id, "AC")
    result = complete_current_stage(case_id, "AC")
    assert (result["state"], result["current_stage"]) == ("with_client", None)
    case = show_case(case_id)
    assert [s["state"] for s in case["stages"]] == ["done", "done", "done"]
    ticked = [c for s in case["stages"] for c in s["checkpoints"] if c["ticked_by"]]
    assert ticked and all(c["ticked_at"] for c in ticked)
    history = [(e["actor"], e["action"], e["from"], e["to"]) for e in case["history"]]
    assert history[:2] == [("system:test", "case.return_received", "waiting_for_return", "return_received"),
                           ("system:test", "stage.started", "return_received", "in_progress")]
    assert [a for _, a, _, _ in history].count("checkpoint.tick") == 7  # 2 + 3 + 2 mandatory
    assert [a for _, a, _, _ in history].count("stage.completed") == 3
    assert history[-1] == ("AC", "case.to_client", "in_progress", "with_client")
    assert set(case) == {"id", "client_number", "product", "period_label", "state", "current_stage",
                         "blocked_reasons", "deadline_effective", "document", "stages", "history"}


def test_the_audit_trail_refuses_update_and_delete_on_postgresql(db):
    if db.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    _matched_and_routed()
    for statement in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.begin() as conn:
            conn.execute(sa.text(statement))
    with unit_of_work() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= 2


def test_a_member_without_the_role_is_refused_with_the_reason(db):
    case_id = _matched_and_routed()
    with pytest.raises(RoutingRefused, match="XX does not hold role administratie for client 1001"):
        tick_checkpoint(case_id, 1, "XX")
    with pytest.raises(RoutingRefused, match="AC does not hold role administratie"):
        complete_current_stage(case_id, "AC")
    tick_checkpoint(case_id, 1, "RB")  # the client's relatiebeheerder may act on every stage


def test_a_stage_with_a_mandatory_checkpoint_open_is_not_completed(db):
    case_id = _matched_and_routed()
    tick_checkpoint(case_id, 1, "AD")
    with pytest.raises(RoutingRefused, match=r"stage 'verwerken' of case \d+ has 1 mandatory checkpoint open: 2\."):
        complete_current_stage(case_id, "AD")
    untick_checkpoint(case_id, 1, "AD")
    with pytest.raises(RoutingRefused, match="2 mandatory checkpoints open"):
        complete_current_stage(case_id, "AD")
    assert show_case(case_id)["current_stage"] == "verwerken"


def test_unknown_case_member_and_checkpoint_are_not_found(db):
    case_id = _matched_and_routed()
    with pytest.raises(NotFound, match="no case with id 999999"):
        show_case(999999)
    with pytest.raises(NotFound, match="no team member with code 'NOBODY'"):
        tick_checkpoint(case_id, 1, "NOBODY")
    with pytest.raises(NotFound, match="has no checkpoint 9"):
        tick_checkpoint(case_id, 9, "AD")


def test_reassigning_to_a_member_without_the_role_needs_force_and_is_recorded(db):
    case_id = _matched_and_routed()
    with pytest.raises(RoutingRefused, match="XX does not hold role administratie .* use --force"):
        reassign_stage(case_id, "XX", "AD", reason="holiday")
    reassign_stage(case_id, "XX", "AD", reason="holiday", force=True)
    case = show_case(case_id)
    assert case["stages"][0]["assignee"] == "XX"
    event = case["history"][-1]
    assert (event["actor"], event["action"], event["from"], event["to"]) == ("AD", "stage.reassigned", "AD", "XX")
    assert event["details"] == {"stage": "verwerken", "reason": "holiday", "forced": True}
    tick_checkpoint(case_id, 1, "XX")  # the assignee may act


def test_a_case_blocks_when_nobody_holds_the_role_and_unblocks_after_the_crm_fix(db):
    case_id = _matched_and_routed(with_accountant=False)
    for _ in range(2):
        _tick_mandatory(case_id, "AD")
        complete_current_stage(case_id, "AD")
    case = show_case(case_id)
    assert (case["state"], case["current_stage"]) == ("blocked", "beoordelen")
    assert case["blocked_reasons"][0]["code"] == "role_missing" and "accountant" in case["blocked_reasons"][0]["message"]
    summary = route_once(actor="system:test")
    assert summary["still_blocked"] == 1
    assert summary["rows"][0]["blocked_clients"] == ["1001"] and summary["rows"][0]["blocked_reason"] == "role_missing"
    with unit_of_work() as session:  # the CRM fix
        client_id = session.scalar(sa.select(Client.id))
        ac = session.scalar(sa.select(TeamMember.id).where(TeamMember.code == "AC"))
        session.add(RoleAssignment(client_id=client_id, role=Role.ACCOUNTANT, team_member_id=ac))
    assert route_once(actor="system:test")["unblocked"] == 1
    case = show_case(case_id)
    assert (case["state"], case["current_stage"], case["blocked_reasons"]) == ("in_progress", "beoordelen", [])
    assert case["stages"][2]["assignee"] == "AC"
    assert [e["action"] for e in case["history"]][-2:] == ["case.blocked", "case.unblocked"]


def test_an_inactive_product_override_blocks_even_when_a_general_holder_is_active(db):
    with unit_of_work() as session:
        case_id = _office(session)
        _doc(session)
        client_id = session.scalar(sa.select(Client.id))
        gone = TeamMember(code="GONE", name="Left", active=False)
        session.add(RoleAssignment(client_id=client_id, role=Role.ADMINISTRATIE, product=Product.VAT_RETURN,
                                   team_member=gone))
    with unit_of_work() as session:
        match_pending(session, today=TODAY)
    route_once()
    assert show_case(case_id)["state"] == "blocked"


def test_send_back_returns_to_an_earlier_stage_with_the_reason_and_keeps_its_ticks(db):
    case_id = _matched_and_routed()
    _tick_mandatory(case_id, "AD")
    complete_current_stage(case_id, "AD")
    with pytest.raises(RoutingRefused, match="needs a reason"):
        send_case_back(case_id, "verwerken", "AD", " ")
    send_case_back(case_id, "verwerken", "AD", "bank not reconciled")
    case = show_case(case_id)
    assert (case["state"], case["current_stage"]) == ("in_progress", "verwerken")
    assert [s["state"] for s in case["stages"]] == ["active", "pending", "pending"]
    assert all(c["ticked_by"] == "AD" for c in case["stages"][0]["checkpoints"] if c["mandatory"])
    event = case["history"][-1]
    assert (event["action"], event["from"], event["to"], event["details"]["reason"]) == (
        "stage.sent_back", "samenstellen", "verwerken", "bank not reconciled")


def test_a_corrected_return_sends_a_case_under_way_back_to_its_first_stage(db):
    case_id = _matched_and_routed()
    _tick_mandatory(case_id, "AD")
    complete_current_stage(case_id, "AD")
    old_sha = show_case(case_id)["document"]["sha256"]
    with unit_of_work() as session:
        _doc(session)  # the suppletie
    with unit_of_work() as session:
        assert match_pending(session, today=TODAY)["corrections"] == 1
    assert show_case(case_id)["state"] == "return_received"
    assert route_once()["restarted"] == 1
    case = show_case(case_id)
    assert (case["state"], case["current_stage"]) == ("in_progress", "verwerken")
    assert [s["state"] for s in case["stages"]] == ["active", "pending", "pending"]
    assert not any(c["ticked_by"] for s in case["stages"] for c in s["checkpoints"])
    assert case["document"]["sha256"] != old_sha
    actions = [e["action"] for e in case["history"]]
    assert actions[-2:] == ["case.corrected", "stage.started"]
    assert case["history"][-1]["details"]["ticks_cleared"] == 2


def test_the_work_list_shows_the_stages_a_member_may_act_on(db):
    case_id = _matched_and_routed()
    (item,) = work_list("AD")
    assert item == {"case_id": case_id, "client_number": "1001", "client_name": "Holding BV",
                    "product": "vat_return", "period_label": "2026-Q1", "stage": "verwerken",
                    "role": "administratie", "assignee": "AD", "deadline_effective": "2026-04-30",
                    "checkpoints_open": 2}
    assert [i["case_id"] for i in work_list("RB")] == [case_id]  # the relatiebeheerder
    assert work_list("AC") == [] and work_list("XX") == []
    with pytest.raises(NotFound):
        work_list("NOBODY")
    with unit_of_work() as session:  # a product override takes the role away from the general holder
        client_id = session.scalar(sa.select(Client.id))
        ad2 = session.scalar(sa.select(TeamMember.id).where(TeamMember.code == "AD2"))
        session.add(RoleAssignment(client_id=client_id, role=Role.ADMINISTRATIE, product=Product.VAT_RETURN,
                                   team_member_id=ad2))
    assert [i["assignee"] for i in work_list("AD")] == ["AD"]  # still the assignee
    reassign_stage(case_id, "AD2", "RB")
    assert work_list("AD") == [] and [i["case_id"] for i in work_list("AD2")] == [case_id]


def test_two_concurrent_route_passes_move_every_case_exactly_once(db):
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer; concurrent workers are a PostgreSQL setup")
    with unit_of_work() as session:
        _office(session)
        client_id = session.scalar(sa.select(Client.id))
        session.execute(sa.delete(Case))
        session.add_all(Case(client_id=client_id, product=Product.VAT_RETURN, period_label=f"P{i}",
                             period_start=date(2000 + i % 20, 1 + i % 12, 1), period_end=date(2000 + i % 20, 1 + i % 12, 1),
                             frequency=Frequency.QUARTER, quarter_start_month=1, template_code="vat_return",
                             template_version=1, state=CaseState.RETURN_RECEIVED) for i in range(400))
    barrier = threading.Barrier(2)
    results: list[dict] = []

    def run(name: str) -> None:
        barrier.wait()
        results.append(route_once(actor=name))

    threads = [threading.Thread(target=run, args=(f"system:w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["moved"] for r in results) == 400
    with get_engine().connect() as conn:
        started = conn.execute(sa.text(
            "SELECT case_id, count(*) FROM audit_event WHERE action = 'stage.started' GROUP BY case_id")).all()
        assert len(started) == 400 and all(n == 1 for _, n in started)
        assert conn.execute(sa.select(sa.func.count()).select_from(CaseStage.__table__)).scalar() == 400 * 3
        assert conn.execute(sa.select(sa.func.count()).select_from(TemplateVersion.__table__)).scalar() == 1


def test_a_running_case_keeps_the_checkpoints_of_the_template_version_it_started_with(db, tmp_path, monkeypatch):
    case_id = _matched_and_routed()
    tick_checkpoint(case_id, 1, "AD")
    before = show_case(case_id)["stages"]
    from sbrflow.config.workflows import DEFAULT_DIRECTORY

    for file in DEFAULT_DIRECTORY.glob("*.yaml"):  # a new version with other checkpoints
        text = file.read_text(encoding="utf-8")
        if file.stem == "vat_return":
            text = text.replace("version: 1", "version: 2").replace(
                "Bankmutaties tot en met de laatste dag van het tijdvak verwerkt", "Iets heel anders")
        (tmp_path / file.name).write_text(text, encoding="utf-8")
    from sbrflow.config.workflows import load_templates

    monkeypatch.setattr("sbrflow.tasks.routing._templates", lambda: load_templates(tmp_path))
    assert show_case(case_id)["stages"] == before
    # A case that enters its stages now runs on the new version (stored as well).
    with unit_of_work() as session:
        _doc(session)  # a correction restarts the case: it keeps its version
        match_pending(session, today=TODAY)
    route_once()
    assert show_case(case_id)["stages"][0]["checkpoints"][0]["text"].startswith("Bankmutaties")
    assert before[0]["checkpoints"][0]["text"].startswith("Bankmutaties")


def test_a_client_rejection_sends_the_case_back_to_its_last_stage_and_an_approval_approves(db):
    from sbrflow.tasks.routing import apply_client_decision

    case_id = _matched_and_routed()
    for member in ("AD", "AD", "AC"):
        _tick_mandatory(case_id, member)
        complete_current_stage(case_id, member)
    with unit_of_work() as session:
        apply_client_decision(session, case_id, approved=False, actor="client:P1", reason="omzet klopt niet")
    case = show_case(case_id)
    assert (case["state"], case["current_stage"], case["stages"][2]["assignee"]) == ("in_progress", "beoordelen", "AC")
    assert case["history"][-1]["details"]["reason"] == "omzet klopt niet"
    complete_current_stage(case_id, "AC")  # the ticks stayed
    with unit_of_work() as session:
        apply_client_decision(session, case_id, approved=True, actor="client:P1", details={"sha256": "ab"})
    assert show_case(case_id)["state"] == "approved"
