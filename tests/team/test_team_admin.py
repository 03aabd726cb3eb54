"""An admin may also reassign any stage (routing's one rule, fed by team_account.is_admin), on both databases:
through the task function, `sbrflow case reassign --by`, and the API (a refused member gets 409 and the reason).
Being admin does not let a member tick or complete a stage they may not act on.
"""

from __future__ import annotations

import sys

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sbrflow.cli.main import app as cli
from sbrflow.cli.main import main
from sbrflow.domain.routing import RoutingRefused
from sbrflow.tasks import routing, team

REFUSED = "only an admin may reassign a stage they cannot act on"


def _garage(office) -> int:
    return office.routed["1002 2021-10"]  # BO holds both roles; AN (admin) holds none for client 1002


def test_an_admin_reassigns_a_stage_they_hold_no_role_on_and_the_history_says_as_admin(team_office):
    case_id = _garage(team_office)
    routing.reassign_stage(case_id, "AN", "AN", reason="Bob is ziek", force=True)
    shown = routing.show_case(case_id)
    assert shown["stages"][0]["assignee"] == "AN"
    event = shown["history"][-1]
    assert (event["actor"], event["action"], event["from"], event["to"]) == ("AN", "stage.reassigned", "BO", "AN")
    assert event["details"] == {"stage": "verwerken", "reason": "Bob is ziek", "forced": True, "as_admin": True}


def test_a_member_who_is_not_admin_cannot_reassign_a_stage_they_may_not_act_on(team_office):
    case_id = team_office.routed["1001 2021-10"]  # Anna's administratie stage; Bob is the accountant there
    with pytest.raises(RoutingRefused, match=f"BO does not hold role administratie for client 1001 .*; {REFUSED}"):
        routing.reassign_stage(case_id, "BO", "BO", force=True)
    team.set_admin("AN", False)
    with pytest.raises(RoutingRefused, match=REFUSED):
        routing.reassign_stage(_garage(team_office), "AN", "AN", force=True)
    assert routing.show_case(_garage(team_office))["stages"][0]["assignee"] == "BO"


def test_being_admin_does_not_let_a_member_tick_or_complete_a_stage_they_may_not_act_on(team_office):
    case_id = _garage(team_office)
    with pytest.raises(RoutingRefused, match="AN does not hold role administratie for client 1002"):
        routing.tick_checkpoint(case_id, 1, "AN")
    with pytest.raises(RoutingRefused, match="AN does not hold role administratie for client 1002"):
        routing.complete_current_stage(case_id, "AN")


def test_the_cli_case_reassign_by_an_admin_is_allowed_and_by_anyone_else_refused_with_the_reason(
        team_office, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sbrflow", "case", "reassign", str(team_office.routed["1001 2021-10"]),
                                      "--to", "BO", "--by", "BO", "--force"])
    with pytest.raises(SystemExit) as refused:
        main()
    assert refused.value.code == 1 and REFUSED in capsys.readouterr().err
    done = CliRunner().invoke(cli, ["case", "reassign", str(_garage(team_office)), "--to", "AN", "--by", "AN",
                                    "--force", "--reason", "vakantie"])
    assert done.exit_code == 0, done.output
    assert routing.show_case(_garage(team_office))["stages"][0]["assignee"] == "AN"


def test_the_api_answers_409_with_the_reason_to_a_member_who_is_not_admin_and_200_to_an_admin(team_office):
    from sbrflow.web.app import create_app

    tokens = {code: {"Authorization": "Bearer " + team.make_api_token(code)["token"]} for code in ("AN", "BO")}
    with TestClient(create_app()) as api:
        refused = api.post(f"/api/cases/{team_office.routed['1001 2021-10']}/reassign",
                           json={"to": "BO", "force": True}, headers=tokens["BO"])
        assert refused.status_code == 409 and REFUSED in refused.json()["detail"]
        done = api.post(f"/api/cases/{_garage(team_office)}/reassign", json={"to": "AN", "force": True},
                        headers=tokens["AN"])
        assert done.status_code == 200 and done.json()["events"] == ["stage.reassigned"]
