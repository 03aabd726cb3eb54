"""kill -9 of a real `sbrflow returns poll` mid-poll: nothing wedged, nothing left running, a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sbrflow.integrations.simulator import Faults, SourceSimulator, generated_catalogue
from sbrflow.models.locks import AppLock
from sbrflow.models.returns import TaxReturnDocument
from sbrflow.tasks.intake import add_source

SBRFLOW = str(Path(sys.executable).with_name("sbrflow"))
DOCUMENTS = 16


def _env(db, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SBRFLOW_"))}
    return env | {"SBRFLOW_DATABASE_URL": db.url.render_as_string(hide_password=False),
                  "SBRFLOW_VAR_DIR": str(tmp_path / "var"), "SBRFLOW_SOURCE_PAGE_SIZE": "2",
                  "SBRFLOW_LOCK_WAIT": "20", "PREFECT_HOME": str(tmp_path / "prefect"),
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
                  # A loaded machine (7 engineers' tests on 2 cores) can take more than the default 20 s.
                  "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _count(db, model) -> int:
    with db.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(model))


def _wait_for(condition, seconds: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline or (process is not None and process.poll() is not None):
            output = ""
            if process is not None:
                process.kill()
                output = process.communicate()[0]
            pytest.fail(f"gave up waiting for {what}; the process said:\n{output[-1500:]}")
        time.sleep(0.2)


@pytest.mark.parametrize("how", [signal.SIGKILL])
def test_a_poll_killed_mid_way_blocks_nothing_and_the_rerun_completes_in_bounded_time(db, tmp_path, how):
    with SourceSimulator(generated_catalogue(DOCUMENTS, employees=1),
                         faults=Faults(slow_rate=1.0, slow_seconds=0.4)) as sim:
        add_source("sim", url=sim.url)
        env = _env(db, tmp_path)
        victim = subprocess.Popen([SBRFLOW, "returns", "poll"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            _wait_for(lambda: _count(db, AppLock) == 1 and _count(db, TaxReturnDocument) >= 2, 180,
                      "the poll to hold its source and store its first page", victim)
            children = _children(victim.pid)
            assert children, "the ephemeral Prefect API runs as a child process"
            with db.connect() as conn:
                holder = conn.execute(sa.select(AppLock.holder, AppLock.pid)).one()
            assert holder.holder.startswith("poll-returns flow run '") and holder.pid == victim.pid
            victim.send_signal(how)
            victim.wait(30)
        finally:
            if victim.poll() is None:
                victim.kill()
        stored = _count(db, TaxReturnDocument)
        assert stored < DOCUMENTS, "killed mid-poll"
        # Prefect's temporary server (uvicorn) does not outlive the process that started it.
        _wait_for(lambda: not any(_alive(pid) for pid in children), 20, "the temporary Prefect server to stop")

        started = time.monotonic()
        rerun = subprocess.run([SBRFLOW, "returns", "poll"], env=env, capture_output=True, text=True, timeout=240)
        took = time.monotonic() - started
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"new={DOCUMENTS - stored}" in rerun.stdout
    assert _count(db, TaxReturnDocument) == DOCUMENTS
    assert took < 120
    assert _count(db, AppLock) == 0


def test_sigterm_stops_a_poll_within_a_bounded_time_and_leaves_no_server_behind(db, tmp_path):
    with SourceSimulator(generated_catalogue(DOCUMENTS, employees=1),
                         faults=Faults(slow_rate=1.0, slow_seconds=0.4)) as sim:
        add_source("sim", url=sim.url)
        victim = subprocess.Popen([SBRFLOW, "returns", "poll"], env=_env(db, tmp_path), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        try:
            _wait_for(lambda: _count(db, AppLock) == 1 and _count(db, TaxReturnDocument) >= 2, 180,
                      "the poll to hold its source and store its first page", victim)
            children = _children(victim.pid)
            victim.terminate()
            started = time.monotonic()
            victim.wait(60)
            took = time.monotonic() - started
        finally:
            if victim.poll() is None:
                victim.kill()
    assert victim.returncode != 0 and took < 30
    assert _count(db, TaxReturnDocument) < DOCUMENTS
    assert _count(db, AppLock) == 0  # released on the way out
    _wait_for(lambda: not any(_alive(pid) for pid in children), 20, "the temporary Prefect server to stop")


@pytest.mark.flow
def test_a_poll_that_cannot_get_its_source_says_so_and_names_the_run_holding_it(prefect_harness, db, monkeypatch):
    from typer.testing import CliRunner

    from sbrflow.cli.main import app
    from sbrflow.config.settings import get_settings
    from sbrflow.models.locks import database_lock

    monkeypatch.setenv("SBRFLOW_LOCK_WAIT", "0.5")
    get_settings.cache_clear()
    with SourceSimulator(generated_catalogue(2, employees=1)) as sim:
        add_source("sim", url=sim.url)
        with database_lock("source-package:sim", holder="poll-returns flow run 'early-bird'", wait=0):
            result = CliRunner().invoke(app, ["returns", "poll"], catch_exceptions=False)
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "BUSY: source package 'sim' is busy: held by poll-returns flow run 'early-bird'" in result.stdout
    assert _count(db, TaxReturnDocument) == 0
