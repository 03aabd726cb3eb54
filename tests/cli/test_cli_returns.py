"""`sbrflow returns …` and `sbrflow sources …`: the command-line contracts of the intake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.config.settings import get_settings
from sbrflow.integrations.sbr.generate import payroll_return_xml
from sbrflow.integrations.simulator import Entry, SourceSimulator, generated_catalogue
from sbrflow.tasks.intake import poll_source_once

SAMPLE = Path(__file__).resolve().parents[1] / "integrations/samples/sbr/VB-01_bd-rpt-ob-aangifte-2021.xbrl"
LIST_KEYS = {"id", "source", "tax", "kind", "fiscal_id", "period_start", "period_end", "status", "reason"}
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_parse_json_prints_the_promised_keys_of_the_real_sample():
    result = _run("returns", "parse", str(SAMPLE), "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert {k: record[k] for k in ("tax", "kind", "fiscal_id", "period_start", "period_end", "amount_due")} == {
        "tax": "OB", "kind": "return", "fiscal_id": "001000044B37", "period_start": "2021-10-01",
        "period_end": "2021-10-31", "amount_due": "3240"}
    assert {"sha256", "software", "schema"} <= set(record) and len(record["sha256"]) == 64


def test_parse_exits_2_with_the_reason_for_an_invalid_document(tmp_path):
    bad = tmp_path / "half.xbrl"
    bad.write_bytes(SAMPLE.read_bytes()[:2000])
    result = _run("returns", "parse", str(bad))
    assert result.exit_code == 2
    assert "truncated" in result.stderr and "Traceback" not in result.stderr


def test_parse_of_a_payroll_return_never_prints_an_employee_bsn(tmp_path):
    from datetime import date

    from sbrflow.integrations.sbr.generate import fake_payroll

    path = tmp_path / "lh.xml"
    path.write_bytes(payroll_return_xml("111222333L01", date(2025, 1, 1), date(2025, 1, 31), employees=4))
    result = _run("returns", "parse", str(path), "--json")
    bsns = fake_payroll("111222333L01", date(2025, 1, 1), date(2025, 1, 31), employees=4).bsns
    assert json.loads(result.stdout)["tax"] == "LH"
    assert not [bsn for bsn in bsns if bsn in result.stdout]


def test_sources_add_list_and_disable(db, tmp_path):
    assert "added source drop" in _run("sources", "add", "drop", "--folder", str(tmp_path)).stdout
    assert "added source api" in _run("sources", "add", "api", "--url", "http://127.0.0.1:9/api/v1",
                                      "--token-env", "API_TOKEN").stdout
    assert _run("sources", "disable", "api").exit_code == 0
    listed = {row["name"]: row for row in json.loads(_run("sources", "list", "--json").stdout)}
    assert listed["api"] == listed["api"] | {"kind": "http", "enabled": False, "token_env": "API_TOKEN"}
    assert listed["drop"]["kind"] == "folder" and listed["drop"]["enabled"]
    assert "updated source api" in _run("sources", "add", "api", "--url", "http://127.0.0.1:9/api/v1").stdout


def test_sources_add_needs_exactly_one_of_folder_and_url(db):
    from sbrflow.tasks.intake import SourceConfigError

    with pytest.raises(SourceConfigError, match="exactly one"):
        _run("sources", "add", "x")


def test_returns_list_and_show(db):
    catalogue = generated_catalogue(3, vat_share=1.0)
    catalogue.add(Entry("junk", "junk.xml", lambda: b"not xml at all"))
    with SourceSimulator(catalogue) as sim:
        _run("sources", "add", "sim", "--url", sim.url)
        poll_source_once("sim")
    rows = json.loads(_run("returns", "list", "--json").stdout)
    assert len(rows) == 4 and all(LIST_KEYS <= set(row) for row in rows)
    rejected = json.loads(_run("returns", "list", "--status", "rejected", "--json").stdout)
    assert [r["source"] for r in rejected] == ["sim"] and rejected[0]["reason"]
    shown = _run("returns", "show", str(rows[0]["id"]))
    assert shown.exit_code == 0 and rows[0]["fiscal_id"] in shown.stdout and "sha256" in shown.stdout


pytestmark = pytest.mark.usefixtures("_fresh_settings")


@pytest.fixture
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
