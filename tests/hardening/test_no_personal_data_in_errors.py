"""Database errors never surface their parameters: no BSN or date of birth in logs, tracebacks or Prefect states."""

from __future__ import annotations

import logging
import traceback
from datetime import date

import pytest
import sqlalchemy as sa

from sbrflow.models import Person
from sbrflow.models.db import create_engine_for, unit_of_work

BSN, BIRTH = "111222333", date(1970, 5, 1)
SECRETS = (BSN, "1970-05-01", "1970, 5, 1")


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _failing_write(session) -> None:
    """A write the database refuses (no last name), carrying a BSN and a date of birth."""
    session.execute(sa.insert(Person), [{"contact_number": "C1", "last_name": None, "bsn": BSN,
                                         "date_of_birth": BIRTH}])


def test_a_refused_write_shows_neither_its_parameters_nor_the_row_the_server_quotes(db):
    with pytest.raises(sa.exc.IntegrityError) as refused:
        with unit_of_work() as session:
            _failing_write(session)
    shown = "".join(traceback.format_exception(refused.value))
    assert "last_name" in shown  # still says what is wrong
    assert _leaks(shown) == []


def test_sql_echo_logs_statements_but_never_their_values(db, caplog):
    engine = create_engine_for(db.url.render_as_string(hide_password=False), echo=True)
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(sa.exc.IntegrityError), unit_of_work(engine) as session:
            session.add(Person(contact_number="C2", last_name="Jansen", bsn=BSN, date_of_birth=BIRTH))
            session.flush()
            _failing_write(session)
    finally:
        engine.dispose()
    logged = "\n".join(record.getMessage() + str(record.args) for record in caplog.records)
    assert "INSERT INTO person" in logged
    assert _leaks(logged) == []


@pytest.mark.flow
def test_a_failing_import_flow_leaves_no_bsn_in_any_log_record_or_prefect_state(prefect_harness, db, tmp_path,
                                                                                 caplog, monkeypatch):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId

    from sbrflow.flows.crm import import_crm
    from sbrflow.integrations.crm.writer import write_workbook
    from sbrflow.tasks import crm_import

    path = write_workbook(tmp_path / "office.xlsx", clients=[], contacts=[], team=[
        {"code": "AB", "name": "Anna Bakker", "email": "anna@kantoor.example", "active": True}])

    def apply_then_fail(session, plan):
        _failing_write(session)

    monkeypatch.setattr(crm_import, "apply", apply_then_fail)
    caplog.set_level(logging.DEBUG)
    state = import_crm(str(path), return_state=True)
    assert state.is_failed()
    run_id = state.state_details.flow_run_id
    texts = [record.getMessage() for record in caplog.records]
    texts += ["".join(traceback.format_exception(r.exc_info[1])) for r in caplog.records if r.exc_info]
    with get_client(sync_client=True) as client:
        texts += [log.message for log in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))]
        flow_states = client.read_flow_run_states(run_id)
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    texts += [s.message or "" for s in flow_states] + [str(t.state.message) for t in task_runs if t.state]
    texts += [str(state.result(raise_on_failure=False))]
    everything = "\n".join(texts)
    assert "last_name" in everything  # the failure is there, and says what
    assert _leaks(everything) == []
