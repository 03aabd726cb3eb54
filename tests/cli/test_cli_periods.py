"""`sbrflow periods show/list`: the contract keys, the domain's numbers, and one-line errors."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from sbrflow.cli.main import app, main
from sbrflow.domain.errors import InvalidIdentifier, InvalidPeriod

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["periods", *args])


def test_show_json_prints_exactly_the_contract_keys():
    result = run("show", "--tax", "OB", "--frequency", "quarter", "--date", "2026-05-10",
                 "--fiscal-id", "001000044B37", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "label": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30", "period_code": "24",
        "deadline": "2026-07-31", "deadline_effective": "2026-07-31",
        # 00100004 | 1 (OB) | 6 (2026) | 37 (after the B) | 24 (Q2) | 0, check digit 9 in front
        "payment_reference": "9001000041637240",
    }


def test_show_without_fiscal_id_has_a_null_payment_reference_and_shifted_quarters_work():
    result = run("show", "--tax", "OB", "--frequency", "quarter", "--quarter-start-month", "2",
                 "--date", "2026-01-15", "--json")
    shown = json.loads(result.output)
    assert (shown["label"], shown["start"], shown["end"], shown["period_code"]) == (
        "2025-Q4-FEB", "2025-11-01", "2026-01-31", "31")
    assert shown["payment_reference"] is None


def test_show_moves_the_deadline_past_weekends_and_holidays():
    # Four-weekly 2026-P13 ends 31 Dec; due 31 Jan 2027, a Sunday → Monday 1 Feb.
    result = run("show", "--tax", "LH", "--frequency", "four_weekly", "--date", "2026-12-31", "--json")
    shown = json.loads(result.output)
    assert (shown["label"], shown["deadline"], shown["deadline_effective"]) == ("2026-P13", "2027-01-31", "2027-02-01")


def test_show_prints_readable_lines_with_the_grouped_payment_reference():
    result = run("show", "--tax", "LH", "--frequency", "month", "--date", "2026-03-03", "--fiscal-id", "111222333L01")
    assert result.exit_code == 0
    assert "period              2026-03" in result.output
    assert "payment reference" in result.output and result.output.count(" ") > 10


def test_list_prints_the_thirteen_four_weekly_periods_of_a_year():
    result = run("list", "--frequency", "four_weekly", "--year", "2026", "--json")
    rows = json.loads(result.output)
    assert [r["label"] for r in rows] == [f"2026-P{n:02d}" for n in range(1, 14)]
    assert (rows[0]["end"], rows[-1]["start"], rows[-1]["period_code"]) == ("2026-01-25", "2026-11-30", "83")
    assert "2026-P04     2026-03-23  2026-04-19" in run("list", "--frequency", "four_weekly", "--year", "2026").output


@pytest.mark.parametrize(("args", "error"), [
    (("--tax", "OB", "--frequency", "weekly", "--date", "2026-01-01"), InvalidPeriod),
    (("--tax", "OB", "--frequency", "four_weekly", "--date", "2026-01-01"), InvalidPeriod),
    (("--tax", "XX", "--frequency", "month", "--date", "2026-01-01"), InvalidPeriod),
    (("--tax", "OB", "--frequency", "month", "--date", "2026-13-01"), InvalidPeriod),
    (("--tax", "OB", "--frequency", "month", "--date", "2026-01-01", "--fiscal-id", "001000045B37"), InvalidIdentifier),
    (("--tax", "LH", "--frequency", "month", "--date", "2026-01-01", "--fiscal-id", "001000044B37"), InvalidIdentifier),
])
def test_bad_input_is_a_domain_error(args, error):
    assert isinstance(run("show", *args).exception, error)


def test_the_command_line_reports_an_unknown_frequency_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sbrflow", "periods", "show", "--tax", "OB", "--frequency", "weekly"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown frequency 'weekly'; use one of: month, quarter" in err


def test_the_command_line_reports_a_bad_fiscal_id_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sbrflow", "periods", "show", "--tax", "OB", "--frequency", "month",
                                      "--fiscal-id", "001000045B37"])
    with pytest.raises(SystemExit):
        main()
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "elfproef" in err and err.count("\n") == 1
