"""`sbrflow crm search | query | define | set | risk | risk-history` and /api/crm/… on both databases."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.tasks import crm_query, team

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, ["crm", *map(str, args)])


def test_cli_search_prints_hits_and_json(crm):
    shown = cli("search", "MULLER")
    assert shown.exit_code == 0, shown.output
    assert "client  1001" in shown.output and "person  P3" in shown.output
    hits = json.loads(cli("search", "1001", "--json").output)
    assert hits[0] == {"kind": "client", "number": "1001", "name": "Bakkerij Müller B.V.", "status": "client",
                       "status_label": "Klant"}


def test_cli_query_exports_three_filters_to_xlsx_and_prints_json(crm, tmp_path):
    path = tmp_path / "dga.xlsx"
    done = cli("query", "--where", "product=vat_return", "--where", "frequency=month", "--where", "function=DGA",
               "--persons", "--export", path)
    assert done.exit_code == 0, done.output
    assert f"2 persons exported to {path}" in done.output
    rows = [[c.value for c in row] for row in load_workbook(path).active.iter_rows()]
    assert [(r[0], r[4]) for r in rows[1:]] == [("P1", "1001"), ("P1", "1003")]
    listed = json.loads(cli("query", "--where", "status=client", "--json").output)
    assert [r["client_number"] for r in listed] == ["1001", "1002", "1003"]


def test_cli_query_names_a_bad_filter_and_exits_one(crm):
    bad = cli("query", "--where", "frequency=weekly")
    assert bad.exit_code == 1
    assert "error: 'frequency=weekly': 'weekly' is not a known filing frequency; use one of:" in bad.output
    unknown = cli("query", "--where", "colour=red")
    assert unknown.exit_code == 1 and "'colour' is not a property you can filter on; valid: number, name" in unknown.output
    assert cli("query").exit_code == 1
    assert cli("query", "--where", "status=client", "--save", "x").exit_code == 1  # --by required


def test_cli_saved_queries_are_private_unless_shared(crm):
    saved = cli("query", "--where", "product=vat_return", "--where", "frequency=month", "--save", "maand", "--by", "AN")
    assert saved.exit_code == 0 and "saved query 'maand' for AN (private)" in saved.output
    assert cli("query", "--where", "function=DGA", "--persons", "--save", "dga", "--by", "AN", "--shared").exit_code == 0
    mine = cli("query", "--run", "maand", "--by", "AN", "--json")
    assert [r["client_number"] for r in json.loads(mine.output)] == ["1001", "1003"]
    other = cli("query", "--run", "maand", "--by", "BO")
    assert other.exit_code == 2 and "no saved query 'maand' that BO may run; available: dga" in other.output
    assert cli("query", "--run", "dga", "--by", "BO").exit_code == 0
    listed = cli("queries", "--by", "BO")
    assert "dga" in listed.output and "maand" not in listed.output


def test_cli_define_set_and_query_a_custom_property_and_an_indicator(crm):
    refused = cli("define", "Branche", "--type", "choice", "--choices", "Bouw,Horeca", "--by", "BO")
    assert refused.exit_code == 1 and "BO is not an admin" in refused.output
    assert cli("define", "Branche", "--type", "choice", "--choices", "Bouw,Horeca", "--by", "AN").exit_code == 0
    assert cli("define", "Lead", "--type", "indicator", "--by", "AN").exit_code == 0
    assert cli("set", "1002", "Branche", "Horeca", "--by", "BO").exit_code == 0
    assert cli("set", "1001", "Lead", "--by", "BO").exit_code == 0
    bad = cli("set", "1001", "Branche", "Zorg", "--by", "BO")
    assert bad.exit_code == 1 and "'Zorg' is not a choice of Branche; valid: Bouw, Horeca" in bad.output
    found = json.loads(cli("query", "--where", "prop:Branche=horeca", "--json").output)
    assert [r["client_number"] for r in found] == ["1002"] and found[0]["prop:Branche"] == "Horeca"
    assert [r["client_number"] for r in json.loads(cli("query", "--where", "indicator=Lead", "--json").output)] == [
        "1001"]
    assert cli("clear", "1001", "Lead", "--by", "BO").exit_code == 0
    assert json.loads(cli("query", "--where", "indicator=Lead", "--json").output) == []
    assert "Branche" in cli("properties").output


def test_cli_risk_and_risk_history(crm):
    done = cli("risk", "1001", "hoog", "--motivation", "cash business", "--by", "AN")
    assert done.exit_code == 0 and "client 1001: risk - → high (by AN)" in done.output
    assert cli("risk", "1001", "low", "--by", "AN").exit_code == 2  # --motivation is required
    assert cli("risk", "1001", "low", "--motivation", " ", "--by", "AN").exit_code == 1  # an empty one is refused
    assert cli("risk", "1001", "low", "--motivation", "x").exit_code == 2  # --by is required
    assert cli("risk", "4242", "low", "--motivation", "x", "--by", "AN").exit_code == 2
    report = json.loads(cli("risk-history", "1001", "--json").output)
    assert report["risk_class"] == "high" and [h["to"] for h in report["history"]] == ["high"]
    assert "→ high — cash business" in cli("risk-history", "1001").output


@pytest.fixture
def api(crm):
    from sbrflow.web.app import create_app

    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def tokens(crm):
    return {code: {"Authorization": "Bearer " + team.make_api_token(code)["token"]} for code in ("AN", "BO")}


def test_api_without_a_token_answers_401(api):
    for method, url in [("get", "/api/crm/search?q=x"), ("post", "/api/crm/query"), ("get", "/api/crm/queries"),
                        ("post", "/api/crm/clients/1001/risk"), ("get", "/api/crm/clients/1001/risk")]:
        assert getattr(api, method)(url).status_code == 401, url


def test_api_search_query_and_saved_queries_follow_the_task_layer(api, tokens):
    assert api.get("/api/crm/search", params={"q": "jose"}, headers=tokens["BO"]).json()[0]["number"] == "P1"
    body = {"where": ["product=vat_return", "frequency=month"], "subject": "clients"}
    result = api.post("/api/crm/query", json=body, headers=tokens["BO"]).json()
    assert result == crm_query.run_query(body["where"])
    bad = api.post("/api/crm/query", json={"where": ["colour=red"]}, headers=tokens["BO"])
    assert bad.status_code == 422 and "'colour' is not a property" in bad.json()["detail"]
    assert api.post("/api/crm/queries", json={"name": "mine", "where": ["status=client"]},
                    headers=tokens["AN"]).status_code == 200
    assert api.get("/api/crm/queries/mine/run", headers=tokens["BO"]).status_code == 404  # private
    assert api.get("/api/crm/queries/mine/run", headers=tokens["AN"]).json()["count"] == 3


def test_api_properties_need_an_admin_and_risk_keeps_its_history(api, tokens):
    definition = {"name": "Lead", "type": "indicator", "target": "client"}
    assert api.post("/api/crm/properties", json=definition, headers=tokens["BO"]).status_code == 403
    assert api.post("/api/crm/properties", json=definition, headers=tokens["AN"]).status_code == 200
    assert api.put("/api/crm/values/1002/Lead", json={}, headers=tokens["BO"]).status_code == 200
    assert api.post("/api/crm/query", json={"where": ["indicator=Lead"]}, headers=tokens["BO"]).json()["count"] == 1
    assert api.delete("/api/crm/values/1002/Lead", headers=tokens["BO"]).json()["cleared"] is True
    risk = api.post("/api/crm/clients/1002/risk", json={"risk_class": "unacceptable", "motivation": "no UBO"},
                    headers=tokens["BO"])
    assert risk.status_code == 200 and risk.json()["by"] == "BO"
    bad = api.post("/api/crm/clients/1002/risk", json={"risk_class": "medium", "motivation": "x"}, headers=tokens["BO"])
    assert bad.status_code == 422 and "use one of: low, high, unacceptable" in bad.json()["detail"]
    history = api.get("/api/crm/clients/1002/risk", headers=tokens["AN"]).json()
    assert history["risk_class"] == "unacceptable" and history["history"][0]["motivation"] == "no UBO"
    assert api.get("/api/crm/clients/4242/risk", headers=tokens["AN"]).status_code == 404


def test_the_client_card_shows_the_risk_class_indicators_and_custom_properties(api, tokens):
    from sbrflow.tasks import crm_properties, crm_risk

    crm_properties.define_property("Branche", kind="text", target="client", by="AN")
    crm_properties.define_property("Lead", kind="indicator", target="client", by="AN")
    crm_properties.set_value("1001", "Branche", "Bakkerij", by="BO")
    crm_properties.set_value("1001", "Lead", by="BO")
    crm_risk.set_risk("1001", "high", motivation="cash business", by="AN")
    card = api.get("/api/clients/1001", headers=tokens["BO"]).json()
    assert card["risk"] == {"risk_class": "high", "motivation": "cash business"}
    assert card["indicators"] == ["Lead"] and card["properties"] == [{"name": "Branche", "value": "Bakkerij"}]
    plain = api.get("/api/clients/1002", headers=tokens["BO"]).json()
    assert (plain["risk"], plain["indicators"], plain["properties"]) == (None, [], [])
