"""poll-returns under Prefect: each source its own task, one down source does not stop the others."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.config.settings import get_settings
from sbrflow.flows.intake import SourcesFailed, poll_returns
from sbrflow.integrations.simulator import Faults, SourceSimulator, generated_catalogue
from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import TaxReturnDocument
from sbrflow.tasks.intake import add_source

pytestmark = pytest.mark.flow


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setenv("SBRFLOW_POLL_RETRIES", "1")
    monkeypatch.setenv("SBRFLOW_POLL_RETRY_DELAY", "0")
    monkeypatch.setenv("SBRFLOW_SOURCE_HTTP_RETRIES", "6")
    monkeypatch.setenv("SBRFLOW_SOURCE_HTTP_BACKOFF", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _count() -> int:
    with unit_of_work() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(TaxReturnDocument))


def test_a_source_that_is_down_fails_alone_and_a_rerun_stores_nothing_twice(prefect_harness, db):
    from prefect import get_client

    faults = Faults(error_rate=0.1, duplicate_rate=0.1, seed=1)
    with SourceSimulator(generated_catalogue(12, employees=2), faults=faults) as sim:
        add_source("package", url=sim.url)
        add_source("offline", url=f"http://127.0.0.1:{_closed_port()}/api/v1")
        add_source("switched-off", url=f"http://127.0.0.1:{_closed_port()}/api/v1")
        from sbrflow.cli.sources import disable

        disable("switched-off")
        state = poll_returns(return_state=True)
        assert state.is_failed()
        failure = state.result(raise_on_failure=False)
        assert isinstance(failure, SourcesFailed) and "offline" in str(failure)
        rows = {row["source"]: row for row in failure.summary["sources"]}
        assert set(rows) == {"package", "offline"}  # a disabled source is not polled
        assert rows["package"]["new"] == 12 and rows["offline"]["status"] == "failed"
        assert _count() == 12

        again = CliRunner().invoke(app, ["returns", "poll", "--source", "package"], catch_exceptions=False)
    assert again.exit_code == 0 and "package" in again.stdout and "new=0" in again.stdout
    assert _count() == 12
    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts(limit=50)
        assert any(a.key == "poll-returns" for a in artifact)


def test_the_api_token_can_come_from_a_prefect_secret_block(prefect_harness):
    from prefect.blocks.system import Secret

    from sbrflow.integrations.source_packages.http import resolve_token

    Secret(value="from-the-block").save("sbrflow-test-source-token", overwrite=True)
    assert resolve_token("prefect-secret:sbrflow-test-source-token") == "from-the-block"
