"""Item 11: a run date planning cannot handle, a date of birth in the future, honest output of a failed import."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from sbrflow.domain.errors import PlanningError
from sbrflow.integrations.crm.writer import write_workbook
from sbrflow.tasks.crm_import import import_workbook
from sbrflow.tasks.planning import plan_periods_task

TEAM = [{"code": "AB", "name": "Anna Bakker", "email": "anna@kantoor.example", "active": True}]
CLIENT = {"client_number": "1001", "name": "De Vries", "kind": "company", "status": "client", "legal_form": "bv"}


@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31)])
def test_a_run_date_outside_the_years_planning_handles_is_a_clean_error(db, day):
    with pytest.raises(PlanningError, match=f"run date {day.isoformat()} is outside the years planning handles"):
        plan_periods_task.fn(day)


@pytest.mark.flow
def test_plan_with_date_0001_01_01_ends_in_the_planning_error_not_an_assertion(prefect_harness, db):
    from sbrflow.cli.main import app

    result = CliRunner().invoke(app, ["plan", "--date", "0001-01-01"])
    assert isinstance(result.exception, PlanningError), result.exception  # main() prints it as one error: line
    assert "outside the years planning handles" in str(result.exception)


def test_a_date_of_birth_in_the_future_is_refused_without_repeating_it(db, tmp_path):
    future = date.today() + timedelta(days=1)
    contact = {"contact_number": "5001", "last_name": "Vries", "client_number": "1001", "date_of_birth": future,
               "bsn": "111222333"}
    report = import_workbook(write_workbook(tmp_path / "o.xlsx", [CLIENT], [contact], TEAM))
    assert not report.written
    [error] = report.errors
    assert (error.row, error.column) == (2, "Geboortedatum") and "a date in the future" in error.message
    assert future.strftime("%d-%m-%Y") not in error.message + str(error.value)
    past = dict(contact, date_of_birth=date(1970, 5, 1))
    assert import_workbook(write_workbook(tmp_path / "p.xlsx", [CLIENT], [past], TEAM)).written


def test_a_failed_import_prints_no_counts_of_writes_it_did_not_make(db, tmp_path):
    from sbrflow.cli.main import app

    bad = dict(CLIENT, client_number="1002", name="N" * 300)
    path = write_workbook(tmp_path / "o.xlsx", [CLIENT, bad], [], TEAM)
    result = CliRunner().invoke(app, ["crm", "import", str(path)])
    assert result.exit_code == 1
    assert "nothing written" in result.output
    assert "created" not in result.output and "clients   rejected 1" in result.output
