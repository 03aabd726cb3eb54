"""`sbrflow crm …` on both databases: exit codes, the error list, the report file, the template."""

from __future__ import annotations

import csv
import json
import sys

import openpyxl
import pytest
from typer.testing import CliRunner

from sbrflow.cli.main import app, main
from sbrflow.integrations.crm import write_workbook
from sbrflow.tasks.demo import demo_workbook_rows

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["crm", *map(str, args)])


@pytest.fixture
def demo_file(tmp_path):
    return write_workbook(tmp_path / "demo.xlsx", *demo_workbook_rows())


@pytest.fixture
def broken_file(tmp_path):
    clients, contacts, team = demo_workbook_rows()
    clients[1] = {**clients[1], "rsin": "111222334"}  # a typo: fails the elfproef
    return write_workbook(tmp_path / "broken.xlsx", clients, contacts, team)


def test_import_prints_counts_and_exits_zero_then_changes_nothing_the_second_time(db, demo_file):
    first = invoke("import", demo_file)
    assert first.exit_code == 0, first.output
    assert "clients   created 6, updated 0, unchanged 0, rejected 0" in first.output
    second = invoke("import", demo_file)
    assert second.exit_code == 0 and "clients   created 0, updated 0, unchanged 6" in second.output


def test_an_invalid_file_exits_one_lists_the_error_and_writes_nothing(db, broken_file, tmp_path):
    report = tmp_path / "report.csv"
    result = invoke("import", broken_file, "--report", report)
    assert result.exit_code == 1
    assert "error: Cliënten, row 3, column RSIN [111222334]" in result.output
    assert "nothing written" in result.output
    with report.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert any(row["column"] == "RSIN" and row["row"] == "3" and row["severity"] == "error" for row in rows)
    dry = invoke("import", broken_file, "--dry-run")
    assert dry.exit_code == 1 and "dry run: nothing written" in dry.output


def test_partial_writes_the_valid_rows_and_still_exits_one(db, broken_file, tmp_path):
    result = invoke("import", broken_file, "--partial", "--report", tmp_path / "report.xlsx")
    assert result.exit_code == 1 and "written without the rejected rows" in result.output
    sheets = openpyxl.load_workbook(tmp_path / "report.xlsx").sheetnames
    assert sheets == ["Problemen", "Aantallen"]
    again = invoke("import", broken_file, "--partial")
    assert "unchanged" in again.output and again.exit_code == 1


def test_a_dry_run_of_a_valid_file_exits_zero_and_writes_nothing(db, demo_file):
    result = invoke("import", demo_file, "--dry-run")
    assert result.exit_code == 0 and "dry run: nothing written" in result.output
    assert "created 6" in invoke("import", demo_file).output


def test_check_exits_one_while_a_client_is_not_ready_and_prints_json(db, demo_file):
    invoke("import", demo_file)
    result = invoke("check", "--product", "vat_return", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ready"] is False and report["product"] == "vat_return"
    assert {"client_number", "name", "ready", "problems"} <= set(report["clients"][0])
    table = invoke("check")
    # The workbook alone has no holdings sheet: Jansen Bouw shows no UBO until the structure is imported.
    assert table.exit_code == 1 and "1002  Jansen Bouw B.V.: ubo_unknown" in table.output


def test_template_and_export_write_their_files(db, demo_file, tmp_path):
    assert invoke("template", tmp_path / "template.xlsx").exit_code == 0
    assert "Uitleg" in openpyxl.load_workbook(tmp_path / "template.xlsx").sheetnames
    invoke("import", demo_file)
    result = invoke("export", tmp_path / "out.csv", "--status", "client", "--product", "vat_return")
    assert result.exit_code == 0 and "exported 4 clients" in result.output
    assert (tmp_path / "out-clienten.csv").exists() and (tmp_path / "out-medewerkers.csv").exists()


def test_a_file_that_cannot_be_read_ends_as_one_line_on_stderr(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sbrflow", "crm", "import", str(tmp_path / "missing.xlsx")])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.xlsx" in err and err.count("\n") == 1
