"""`sbrflow approvals list | link | decide`: the command-line contracts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.domain.approval import DecisionRefused
from sbrflow.domain.case_states import CaseState
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work

runner = CliRunner()


def _run(*args: str, catch: bool = False):
    return runner.invoke(app, list(args), catch_exceptions=catch)


def _token(url: str) -> str:
    return url.rsplit("/a/", 1)[1]


def test_link_prints_a_new_url_and_list_json_shows_the_open_request(office):
    result = _run("approvals", "link", str(office.case_id))
    assert result.exit_code == 0 and "/a/" in result.stdout
    rows = json.loads(_run("approvals", "list", "--state", "open", "--json").stdout)
    assert [(r["case_id"], r["state"], r["presentation"]) for r in rows] == [(office.case_id, "open", "approval")]
    assert _token(result.stdout.strip()) not in json.dumps(rows)


def test_decide_approve_uses_the_page_rules_and_moves_the_case(office):
    token = _token(_run("approvals", "link", str(office.case_id)).stdout.strip())
    result = _run("approvals", "decide", token, "--approve")
    assert result.exit_code == 0 and "approved" in result.stdout
    with unit_of_work() as session:
        assert session.get(Case, office.case_id).state is CaseState.APPROVED
    rows = json.loads(_run("approvals", "list", "--state", "decided", "--json").stdout)
    assert rows[0]["decision"] == "approved"


def test_decide_reject_needs_a_reason(office):
    token = _token(_run("approvals", "link", str(office.case_id)).stdout.strip())
    refused = _run("approvals", "decide", token, "--reject", catch=True)
    assert isinstance(refused.exception, DecisionRefused)
    result = _run("approvals", "decide", token, "--reject", "--reason", "5b ontbreekt")
    assert result.exit_code == 0 and "in_progress" in result.stdout and "beoordelen" in result.stdout


def test_decide_with_an_unknown_token_exits_2_and_link_for_an_unknown_case_exits_2(db):
    env = {**os.environ, "SBRFLOW_DATABASE_URL": str(db.url.render_as_string(hide_password=False))}
    command = [sys.executable, "-m", "sbrflow.cli", "approvals", "decide", "X" * 43, "--approve"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "not found" in done.stderr
    done = subprocess.run([sys.executable, "-m", "sbrflow.cli", "approvals", "link", "999999"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "case 999999 not found" in done.stderr


def test_list_rejects_an_unknown_state(db):
    assert _run("approvals", "list", "--state", "later").exit_code == 2
