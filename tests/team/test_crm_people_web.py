"""/api/crm/ (notes, follow-ups, persons) and the notes and follow-ups on the team pages, both databases."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from sbrflow.tasks import crm_followups, crm_notes, team
from tests.team.test_team_web import sign_in


@pytest.fixture
def client(team_office):
    from sbrflow.web.app import create_app

    with TestClient(create_app(), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def tokens(team_office):
    return {code: {"Authorization": "Bearer " + team.make_api_token(code)["token"]} for code in ("AN", "BO")}


def test_the_crm_api_needs_a_token(client):
    for method, url in [("get", "/api/crm/notes?client=1001"), ("post", "/api/crm/notes"),
                        ("get", "/api/crm/follow-ups/due"), ("post", "/api/crm/persons"),
                        ("post", "/api/crm/persons/merge"), ("post", "/api/crm/persons/C1/delete")]:
        assert getattr(client, method)(url).status_code == 401, url


def test_notes_through_the_api_with_the_member_as_author_and_history(client, tokens):
    made = client.post("/api/crm/notes", headers=tokens["BO"], json={
        "client_number": "1001", "title": "Let op", "text": "Btw verlegd", "show_in_cases": True})
    assert made.status_code == 201 and made.json()["author"] == "BO"
    note_id = made.json()["id"]
    edited = client.patch(f"/api/crm/notes/{note_id}", headers=tokens["AN"], json={"text": "Btw verlegd sinds mei"})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert [v["saved_by"] for v in client.get(f"/api/crm/notes/{note_id}", headers=tokens["AN"]).json()["history"]] \
        == ["BO", "AN"]
    assert client.get("/api/crm/notes?client=1001", headers=tokens["AN"]).json()[0]["id"] == note_id
    assert client.get("/api/crm/notes?client=4242", headers=tokens["AN"]).status_code == 404
    bad = client.post("/api/crm/notes", headers=tokens["BO"], json={
        "client_number": "1001", "title": "x", "text": "y", "priority": "urgent"})
    assert bad.status_code == 409 and "valid are: low, normal, high" in bad.json()["detail"]


def test_follow_ups_due_through_the_api(client, tokens):
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    made = client.post("/api/crm/follow-ups", headers=tokens["AN"], json={
        "client_number": "1001", "title": "Bellen", "due_on": yesterday, "assigned_to": "BO"})
    assert made.status_code == 201
    (due,) = client.get("/api/crm/follow-ups/due", headers=tokens["BO"]).json()
    assert due["follow_up_id"] == made.json()["follow_up_id"] and due["created_by"] == "AN"
    assert client.get("/api/crm/follow-ups/due", headers=tokens["AN"]).json() == []
    assert client.post(f"/api/crm/follow-ups/{due['follow_up_id']}/done", headers=tokens["BO"]).status_code == 200
    assert client.get("/api/crm/follow-ups/due", headers=tokens["BO"]).json() == []


def test_a_probable_duplicate_answers_409_with_the_candidates_and_no_bsn(client, tokens):
    answer = client.post("/api/crm/persons", headers=tokens["AN"], json={"last_name": "Jansen", "bsn": "111222333"})
    assert answer.status_code == 409 and "111222333" not in answer.text
    (candidate,) = answer.json()["candidates"]
    assert candidate["contact_number"] == "C1" and candidate["on"] == ["BSN"]
    used = client.post("/api/crm/persons", headers=tokens["AN"], json={
        "last_name": "Jansen", "use": "C1", "client_number": "1002", "function": "DGA"})
    assert used.status_code == 201 and used.json()["outcome"] == "linked"
    forced = client.post("/api/crm/persons", headers=tokens["AN"], json={"last_name": "Jansen", "force": True})
    assert forced.status_code == 201 and forced.json()["contact_number"] == "S00001"


def test_merge_and_delete_through_the_api(client, tokens):
    client.post("/api/crm/persons", headers=tokens["AN"], json={"last_name": "Vries", "first_name": "Jan"})
    merged = client.post("/api/crm/persons/merge", headers=tokens["BO"], json={"keep": "C1", "drop": "S00001"})
    assert merged.status_code == 200 and merged.json()["alias"] == "S00001"
    assert client.post("/api/crm/persons/C1/delete", headers=tokens["BO"], json={"reason": "AVG"}).status_code == 403
    refused = client.post("/api/crm/persons/C1/delete", headers=tokens["AN"], json={"reason": "AVG"})
    assert refused.status_code == 409 and "the only contact of active client 1001" in refused.json()["detail"]


def test_notes_for_cases_show_on_the_case_page_and_every_note_on_the_client_card(client, team_office):
    crm_notes.add_note(client="1001", title="Btw verlegd", text="Let op bij elke aangifte", show_in_cases=True,
                       by="AN")
    crm_notes.add_note(client="1001", title="Alleen intern", text="Niet bij werkprocessen", by="AN")
    sign_in(client, "anna@kantoor.example")
    case = client.get(f"/team/zaken/{team_office.routed['1001 2021-10']}")
    assert case.status_code == 200 and "Btw verlegd" in case.text and "Alleen intern" not in case.text
    card = client.get("/team/klanten/1001")
    assert "Btw verlegd" in card.text and "Alleen intern" in card.text and "ook bij werkprocessen" in card.text


def test_my_work_shows_the_follow_ups_due(client):
    crm_followups.add_follow_up(client="1001", title="Bel de klant terug", on=date.today() - timedelta(days=2),
                                to="AN", by="BO")
    crm_followups.add_follow_up(client="1001", title="Nog niet", on=date.today() + timedelta(days=5), to="AN",
                                by="BO")
    sign_in(client, "anna@kantoor.example")
    page = client.get("/team/werk")
    assert page.status_code == 200 and "Signaleringen" in page.text
    assert "Bel de klant terug" in page.text and "Nog niet" not in page.text
    (follow_up_id,) = re.findall(r'data-follow-up="(\d+)"', page.text)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = client.post(f"/team/signaleringen/{follow_up_id}/afgehandeld", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/team/werk")
    assert "Bel de klant terug" not in client.get("/team/werk").text
    assert crm_followups.list_follow_ups(member_code="AN", include_done=True)[0]["done_by"] == "AN"
    again = client.post(f"/team/signaleringen/{follow_up_id}/afgehandeld", data={"csrf": csrf})
    assert again.status_code == 409 and "done already" in again.text
    assert client.post(f"/team/signaleringen/{follow_up_id}/afgehandeld", data={}).status_code == 403
