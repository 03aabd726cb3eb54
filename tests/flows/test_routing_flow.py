"""route-cases under Prefect (also at the end of match-returns) and the routing commands' contracts."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.flows.matching import match_returns
from sbrflow.flows.routing import route_cases
from sbrflow.models import Client, RoleAssignment, TeamMember
from sbrflow.models.db import unit_of_work

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/routing_office.py (importlib mode)
from routing_office import _doc, _office  # noqa: E402

pytestmark = pytest.mark.flow


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), standalone_mode=False, catch_exceptions=True)
    return result.exit_code, result.stdout, ""


def _main(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real entry point (main(): error line and exit code), capturing its output."""
    import sys

    from sbrflow.cli.main import main

    argv, sys.argv = sys.argv, ["sbrflow", *args]
    try:
        with pytest.raises(SystemExit) as exit_:
            main()
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return exit_.value.code or 0, out.out, out.err


def test_match_returns_ends_with_a_route_pass_that_blocks_and_names_the_client(prefect_harness, db):
    with unit_of_work() as session:
        case_id = _office(session, with_accountant=True)
        _doc(session)
        session.execute(sa.delete(RoleAssignment).where(RoleAssignment.role == "administratie"))
    summary = match_returns(today=date(2026, 11, 23))
    routing = summary["routing"]
    assert routing["blocked"] == 1
    assert routing["rows"] == [{"product": "vat_return", "stage": "verwerken", "moved_in": 0, "blocked": 1,
                                "blocked_reason": "role_missing", "blocked_clients": ["1001"]}]
    with unit_of_work() as session:  # the CRM fix; the next pass (on demand or every 5 minutes) unblocks
        client_id = session.scalar(sa.select(Client.id))
        ad = session.scalar(sa.select(TeamMember.id).where(TeamMember.code == "AD"))
        session.add(RoleAssignment(client_id=client_id, role="administratie", team_member_id=ad))
    assert route_cases()["unblocked"] == 1
    history = json.loads(CliRunner().invoke(app, ["case", "show", str(case_id), "--json"]).stdout)["history"]
    assert all(e["actor"].startswith("system:") and e["actor"] != "system:cli" for e in history)


def test_the_commands_print_the_contract_keys_and_refuse_with_one_line(prefect_harness, db, capsys):
    with unit_of_work() as session:
        case_id = _office(session)
        _doc(session)
    code, out, _ = _main(capsys, "returns", "match")
    assert code == 0
    code, out, _ = _main(capsys, "work", "list", "--member", "AD", "--json")
    (item,) = json.loads(out)
    assert set(item) == {"case_id", "client_number", "client_name", "product", "period_label", "stage", "role",
                         "assignee", "deadline_effective", "checkpoints_open"}
    code, out, err = _main(capsys, "case", "tick", str(case_id), "1", "--member", "XX")
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: XX does not hold role administratie")
    code, out, err = _main(capsys, "case", "complete", str(case_id), "--member", "AD")
    assert code == 1 and "mandatory checkpoints open" in err and "Traceback" not in err
    code, out, err = _main(capsys, "case", "reassign", str(case_id), "--to", "XX", "--by", "AD")
    assert code == 1 and "--force" in err
    assert _main(capsys, "case", "show", "424242")[0:1] == (2,)
    code, _, err = _main(capsys, "case", "tick", str(case_id), "1", "--member", "NOBODY")
    assert code == 2 and "NOBODY" in err
    code, _, err = _main(capsys, "case", "untick", str(case_id), "7", "--member", "AD")
    assert code == 2 and "checkpoint 7" in err
    assert _main(capsys, "case", "tick", str(case_id), "1", "--member", "AD")[0] == 0
    assert _main(capsys, "case", "tick", str(case_id), "2", "--member", "AD")[0] == 0
    assert _main(capsys, "case", "complete", str(case_id), "--member", "AD")[0] == 0
    code, out, _ = _main(capsys, "case", "send-back", str(case_id), "--to-stage", "verwerken", "--by", "AD",
                         "--reason", "bank")
    assert code == 0
    code, out, _ = _main(capsys, "case", "show", str(case_id), "--json")
    shown = json.loads(out)
    assert shown["current_stage"] == "verwerken" and shown["history"][-1]["action"] == "stage.sent_back"
    assert set(shown["stages"][0]["checkpoints"][0]) == {"position", "text", "mandatory", "ticked_by", "ticked_at"}
    code, out, _ = _main(capsys, "route", "--json")
    assert code == 0 and json.loads(out)["considered"] == 0
