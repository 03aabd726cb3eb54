"""/api/work and /api/cases over routing's task functions: the CLI's keys, 409 with the reason, 401 without a token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sbrflow.tasks import routing, team

WORK_KEYS = {"case_id", "client_number", "client_name", "product", "period_label", "stage", "role", "assignee",
             "deadline_effective", "checkpoints_open"}
CASE_KEYS = {"id", "client_number", "product", "period_label", "state", "current_stage", "blocked_reasons",
             "deadline_effective", "document", "stages", "history"}


@pytest.fixture
def api(team_office):
    from sbrflow.web.app import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def tokens(team_office):
    return {code: {"Authorization": "Bearer " + team.make_api_token(code)["token"]} for code in ("AN", "BO")}


def test_no_token_answers_401_on_every_work_and_case_call(api, team_office):
    case_id = team_office.routed["1001 2021-10"]
    for method, url in [("get", "/api/work"), ("get", f"/api/cases/{case_id}"),
                        ("post", f"/api/cases/{case_id}/checkpoints/1/tick"), ("post", f"/api/cases/{case_id}/complete")]:
        assert getattr(api, method)(url).status_code == 401, url


def test_work_has_the_keys_of_work_list_most_urgent_first(api, tokens, team_office):
    rows = api.get("/api/work", headers=tokens["AN"]).json()
    assert rows == routing.work_list("AN")
    assert all(set(r) == WORK_KEYS for r in rows)
    assert [r["case_id"] for r in rows] == [team_office.routed["1001 2021-07"], team_office.routed["1001 2021-10"]]
    assert [r["case_id"] for r in api.get("/api/work", headers=tokens["BO"]).json()] == [
        team_office.routed["1002 2021-10"]]


def test_case_has_the_keys_of_case_show(api, tokens, team_office):
    case_id = team_office.routed["1001 2021-10"]
    body = api.get(f"/api/cases/{case_id}", headers=tokens["BO"]).json()
    assert set(body) == CASE_KEYS and body == routing.show_case(case_id)
    assert api.get("/api/cases/999999", headers=tokens["BO"]).status_code == 404


def test_tick_and_complete_move_the_case_to_the_next_stage(api, tokens, team_office):
    case_id = team_office.routed["1001 2021-10"]
    refused = api.post(f"/api/cases/{case_id}/complete", headers=tokens["AN"])
    assert refused.status_code == 409 and "2 mandatory checkpoints open" in refused.json()["detail"]
    for position in (1, 2):
        assert api.post(f"/api/cases/{case_id}/checkpoints/{position}/tick", headers=tokens["AN"]).status_code == 200
    done = api.post(f"/api/cases/{case_id}/complete", headers=tokens["AN"])
    assert done.status_code == 200 and done.json()["current_stage"] == "samenstellen"
    shown = api.get(f"/api/cases/{case_id}", headers=tokens["AN"]).json()
    assert shown["stages"][0]["checkpoints"][0]["ticked_by"] == "AN"
    assert [e["action"] for e in shown["history"]].count("checkpoint.tick") == 2


def test_a_member_without_the_role_is_refused_with_routings_reason(api, tokens, team_office):
    case_id = team_office.routed["1001 2021-10"]
    refused = api.post(f"/api/cases/{case_id}/checkpoints/1/tick", headers=tokens["BO"])
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("BO does not hold role administratie for client 1001")
    assert api.post(f"/api/cases/{case_id}/complete", headers=tokens["BO"]).status_code == 409


def test_send_back_needs_a_reason_and_reopens_the_earlier_stage(api, tokens, team_office):
    case_id = team_office.routed["1001 2021-10"]
    for position in (1, 2):
        api.post(f"/api/cases/{case_id}/checkpoints/{position}/tick", headers=tokens["AN"])
    api.post(f"/api/cases/{case_id}/complete", headers=tokens["AN"])
    url = f"/api/cases/{case_id}/send-back"
    assert api.post(url, json={"to_stage": "verwerken", "reason": " "}, headers=tokens["AN"]).status_code == 409
    back = api.post(url, json={"to_stage": "verwerken", "reason": "bank ontbreekt"}, headers=tokens["AN"])
    assert back.status_code == 200 and back.json()["current_stage"] == "verwerken"
