"""The planning flows run for real under Prefect (test harness), on both databases, with their artifacts."""

from __future__ import annotations

import json
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.flows.planning import plan_periods
from sbrflow.models import Client, ClientContact, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work

pytestmark = pytest.mark.flow
RUN = date(2026, 11, 23)


def small_office() -> None:
    """1002: VAT monthly, ready; 1003: VAT quarterly, SBR off (blocked); 1004: income tax (manual start)."""
    with unit_of_work() as session:
        member = TeamMember(code="AB", name="Anna de Boer")
        subscriptions = {"1002": (Product.VAT_RETURN, Frequency.MONTH), "1003": (Product.VAT_RETURN, Frequency.QUARTER),
                         "1004": (Product.INCOME_TAX, Frequency.YEAR)}
        for number, rsin in (("1002", "111222333"), ("1003", "123456782"), ("1004", "010203047")):
            client = Client(client_number=number, kind=ClientKind.COMPANY, name=f"Client {number}",
                            status=ClientStatus.CLIENT, legal_form=LegalForm.BV, rsin=rsin, ob_number=rsin + "B01",
                            sbr_enabled=number != "1003", ideal_enabled=True)
            person = Person(contact_number=f"C{number}", last_name="Jansen", email=f"c{number}@example.nl")
            product, frequency = subscriptions[number]
            session.add_all([client, ClientContact(client=client, person=person, is_primary=True),
                             Subscription(client=client, product=product, frequency=frequency)])
            session.add_all(RoleAssignment(client=client, role=role, team_member=member) for role in Role)


def _latest_table(key: str) -> list[dict]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    latest = max(artifacts, key=lambda a: a.created)
    data = latest.data if isinstance(latest.data, (list, dict)) else json.loads(latest.data)
    return data


def test_plan_periods_plans_an_office_and_publishes_a_table_per_product_and_period(prefect_harness, db):
    small_office()
    first = plan_periods(run_date=RUN)
    assert first["totals"]["created"] > 0 and first["totals"]["blocked"] > 0
    table = _latest_table("plan-periods")
    assert {"product", "period", "created", "existed", "blocked", "reasons"} <= set(table[0])
    *periods, total = table
    assert sum(row["created"] for row in periods) == first["totals"]["created"] == total["created"]
    assert total["product"] == "total" and total["blocked"] == first["totals"]["blocked"]
    assert plan_periods(run_date=RUN)["totals"]["created"] == 0


def test_the_command_line_plans_lists_and_dry_runs_a_bulk_start(prefect_harness, db):
    small_office()
    runner = CliRunner()
    planned = runner.invoke(app, ["plan", "--date", "2026-11-23"])
    assert planned.exit_code == 0, planned.output
    assert "vat_return" in planned.output and "total: created" in planned.output
    listed = json.loads(runner.invoke(app, ["cases", "list", "--client", "1002", "--product", "vat_return",
                                            "--json"]).output)
    assert [c["period_label"] for c in listed][:2] == ["2026-10", "2026-09"]
    assert {"id", "client_number", "state", "blocked_reasons", "deadline_effective"} <= set(listed[0])
    dry = runner.invoke(app, ["bulk-start", "income_tax", "2026", "--dry-run"])  # a dry run only lists
    assert dry.exit_code == 0, dry.output
    assert "would create: 1004 income_tax 2026" in dry.output
    assert json.loads(runner.invoke(app, ["cases", "list", "--period", "2026", "--json"]).output) == []


def test_serve_offers_plan_periods_daily_and_the_operator_tools_on_demand():
    from sbrflow.flows.serve import deployments

    by_name = {d.name: d for d in deployments()}
    assert set(by_name) >= {"plan-periods", "bulk-start", "rerun-client"}
    (schedule,) = by_name["plan-periods"].schedules
    assert schedule.schedule.cron == "0 6 * * *"
    assert by_name["bulk-start"].schedules == [] and by_name["rerun-client"].schedules == []
    assert by_name["bulk-start"].entrypoint == "sbrflow.flows.planning.bulk_start"


def test_a_domain_error_fails_the_run_with_one_line_as_its_state_message_and_no_flow_traceback(prefect_harness, db,
                                                                                              caplog):
    from sbrflow.domain.errors import PlanningError
    from sbrflow.flows.planning import rerun_client

    state = rerun_client(client_number=9999, return_state=True)  # a number, as typed in `-p client_number=9999`
    assert state.is_failed()
    assert state.message == "PlanningError: no client with number '9999'"
    # The flow's own log: one error line, no traceback (the task engine still logs its task's traceback).
    flow_records = [r for r in caplog.records if r.name.startswith(("prefect.flow_runs", "prefect.engine"))]
    assert any(r.getMessage() == "PlanningError: no client with number '9999'" for r in flow_records)
    assert not [r for r in flow_records if r.exc_info]
    with pytest.raises(PlanningError, match="no client with number '9999'"):
        rerun_client(client_number="9999")  # the CLI gets the domain error back: one `error:` line
