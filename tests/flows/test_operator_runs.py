"""Runs an operator can read (issue 15): named by what they are for, failing with one clear line, and
artifacts that name the clients behind every count that needs action."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from sbrflow.domain.enums import ClientKind, ClientStatus, Frequency, LegalForm, Product, Role
from sbrflow.flows.report import LISTED, named
from sbrflow.models import Client, ClientContact, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.cases import read_cases

pytestmark = pytest.mark.flow
RUN = date(2026, 11, 23)


def office(blocked: int = 1) -> None:
    """1002: VAT monthly, ready; 1003…: VAT quarterly with SBR off (blocked); 1004-style income tax for 2000."""
    with unit_of_work() as session:
        member = TeamMember(code="AB", name="Anna de Boer")
        numbers = ["1002", *(str(2000 + i) for i in range(blocked))]
        for number in numbers:
            rsin = "111222333"
            client = Client(client_number=number, kind=ClientKind.COMPANY, name=f"Client {number}",
                            status=ClientStatus.CLIENT, legal_form=LegalForm.BV, rsin=rsin, ob_number=rsin + "B01",
                            sbr_enabled=number == "1002", ideal_enabled=True)
            person = Person(contact_number=f"C{number}", last_name="Jansen", email=f"c{number}@example.nl")
            frequency = Frequency.MONTH if number == "1002" else Frequency.QUARTER
            session.add_all([client, ClientContact(client=client, person=person, is_primary=True),
                             Subscription(client=client, product=Product.VAT_RETURN, frequency=frequency)])
            if number == "1002":
                session.add(Subscription(client=client, product=Product.INCOME_TAX, frequency=Frequency.YEAR))
            session.add_all(RoleAssignment(client=client, role=role, team_member=member) for role in Role)


def _latest(key: str) -> list[dict]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    latest = max(artifacts, key=lambda a: a.created)
    return latest.data if isinstance(latest.data, (list, dict)) else json.loads(latest.data)


def _run_name(state) -> str:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name


def _tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("prefect") and r.exc_info]


def test_a_run_is_named_by_what_it_is_for(prefect_harness, db):
    from sbrflow.flows.intake import poll_returns
    from sbrflow.flows.planning import bulk_start, plan_periods, rerun_client
    from sbrflow.flows.routing import route_cases

    office()
    assert _run_name(rerun_client(client_number=1002, product="vat_return", return_state=True)) \
        == "rerun-1002-vat_return"
    assert _run_name(plan_periods(run_date=RUN, return_state=True)) == "plan-2026-11-23"
    assert _run_name(bulk_start(product="income_tax", period_label=2025, return_state=True)) \
        == "bulk-start-income_tax-2025"
    assert _run_name(poll_returns(source="nmbrs", return_state=True)) == "poll-nmbrs"
    assert _run_name(route_cases(return_state=True)) == f"route-{date.today().isoformat()}"


def test_a_failure_a_person_must_fix_ends_the_run_with_one_line_and_no_traceback(prefect_harness, db, caplog):
    from sbrflow.flows.intake import poll_returns
    from sbrflow.flows.planning import bulk_start

    caplog.set_level(logging.INFO)
    state = poll_returns(source="nmbrs", return_state=True)  # a source that does not exist
    assert state.is_failed()
    assert state.message == "SourceNotFound: no source package named 'nmbrs' (see: sbrflow sources list)"
    assert any(r.getMessage() == state.message for r in caplog.records)
    bad = bulk_start(product="vat_return", period_label="2026-W12", return_state=True)  # a bad period
    assert bad.is_failed() and bad.message.startswith("PlanningError: '2026-W12' is not a period label")
    assert _tracebacks(caplog) == []  # neither the flow's nor the task engine's log holds a traceback


def test_a_bug_keeps_its_traceback(prefect_harness, db, caplog, monkeypatch):
    from sbrflow.flows import routing

    def bug():
        raise RuntimeError("a bug, not a domain error")

    monkeypatch.setattr(routing, "route_pending_cases", bug)
    caplog.set_level(logging.INFO)
    state = routing.route_cases(return_state=True)
    assert state.is_failed()
    assert any(isinstance(r.exc_info[1], RuntimeError) for r in _tracebacks(caplog))


def test_the_planning_artifact_names_the_blocked_clients_and_how_to_list_them_all(prefect_harness, db):
    from sbrflow.flows.planning import plan_periods

    office(blocked=LISTED + 3)
    summary = plan_periods(run_date=RUN)
    *periods, total = _latest("plan-periods")
    quarter = next(row for row in periods if row["period"] == "2026-Q3")
    assert quarter["blocked"] == LISTED + 3
    first = ", ".join(str(2000 + i) for i in range(LISTED))
    assert quarter["blocked_clients"] == (
        f"{first} and 3 more — run `sbrflow cases list --state blocked --product vat_return --period 2026-Q3` "
        "to list them all")
    assert all(row["blocked_clients"] == "" for row in periods if not row["blocked"])
    # The counts are columns, the run's totals a row of their own (unblocked / reblocked included).
    assert total["product"] == "total" and total["blocked"] == summary["totals"]["blocked"]
    assert {"created", "existed", "blocked", "started", "unblocked", "reblocked"} <= set(total)


def test_rerun_client_shows_each_case_state_after_the_rerun(prefect_harness, db):
    from sbrflow.flows.planning import rerun_client

    office(blocked=1)
    rerun_client(client_number="2000", product="vat_return", period_label="2026-Q3")
    [case] = _latest("rerun-client-cases")
    assert (case["product"], case["period"], case["state"]) == ("vat_return", "2026-Q3", "blocked")
    assert "sbr_not_enabled" in case["blocked_reasons"]
    rerun_client(client_number="1002", period_label="2026-10")
    [stored] = read_cases(client_number="1002", period_label="2026-10")
    assert [(r["product"], r["period"], r["state"]) for r in _latest("rerun-client-cases")] \
        == [("vat_return", "2026-10", stored["state"])]


def test_bulk_start_refuses_an_empty_selection_or_a_period_not_ended_unless_forced(prefect_harness, db):
    from sbrflow.flows.planning import bulk_start

    office()
    empty = bulk_start(product="payroll_return", period_label="2026-Q3", return_state=True)
    assert empty.is_failed() and "selects no client" in empty.message and "--force" in empty.message
    next_year = str(date.today().year + 1)
    early = bulk_start(product="income_tax", period_label=next_year, return_state=True)
    assert early.is_failed() and "has not ended yet" in early.message
    forced = bulk_start(product="income_tax", period_label=next_year, force=True, return_state=True)
    assert forced.is_completed() and forced.result()["totals"]["created"] == 1


def test_a_count_names_up_to_twenty_clients_then_how_many_more_and_the_command():
    assert named([]) == ""
    assert named(["1002", "1003"]) == "1002, 1003"
    many = [str(n) for n in range(1000, 1030)]
    text = named(many, 30, "sbrflow cases list --state blocked")
    assert text.startswith("1000, 1001") and "1019 and 10 more" in text
    assert text.endswith("— run `sbrflow cases list --state blocked` to list them all")
    assert (date.today() - timedelta(days=1)).isoformat() not in text
