"""The operations promise, on a real `prefect server start` (not the ephemeral API), following the README.

Once per session: a Prefect server on a free loopback port with its own PREFECT_HOME, an application
database (SQLite file) migrated with `sbrflow db upgrade`, the work pool and `prefect deploy --all` from
prefect.yaml, and one process worker (`prefect worker start --pool sbrflow`) with SBRFLOW_DATABASE_URL.
Every Prefect call runs in a subprocess pointed at that server, never in this process (which holds the
session's prefect_test_harness); this process talks to the server's REST API with plain HTTP only.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.prefect_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
SCHEDULED_DEPLOYMENTS = ("plan-periods", "poll-returns")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SBRFLOW_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    return env


@dataclass
class Server:
    """A running Prefect server, the environment a client of it needs, and the application database."""

    api: str
    env: dict[str, str]
    app_db: Path
    logs: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 180) -> str:
        """Run a command as the README says (the venv's prefect/sbrflow, from the checkout); fail with its output."""
        done = subprocess.run(list(args), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def post(self, path: str, body: dict | None = None) -> object:
        response = requests.post(f"{self.api}{path}", json=body or {}, timeout=30)
        assert response.status_code < 300, f"POST {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def deployment(self, name: str) -> dict:
        (found,) = self.post("/deployments/filter", {"deployments": {"name": {"any_": [name]}}})
        return found

    def start_run(self, deployment: str, parameters: dict) -> dict:
        return self.post(f"/deployments/{self.deployment(deployment)['id']}/create_flow_run",
                         {"parameters": parameters})

    def wait_for(self, run_id: str, timeout: float = 240) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = requests.get(f"{self.api}/flow_runs/{run_id}", timeout=30).json()
            if run["state_type"] in TERMINAL:
                return run
            time.sleep(0.5)
        raise AssertionError(f"flow run {run_id} did not finish in {timeout} s; logs in {self.logs}")


def _wait_healthy(api: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prefect server exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{api}/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> Iterator[Server]:
    """A real Prefect server with sbrflow migrated and deployed, as README "Production" does it (once)."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    started = time.monotonic()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    server_env = _base_env(tmp / "prefect-home")
    # The recent-deployments loop schedules a new deployment within seconds; the full loop is for the rest.
    server_env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "5"
    log = tmp / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                                    "--port", str(port)], env=server_env, stdout=out, stderr=subprocess.STDOUT)
    app_db = tmp / "sbrflow.db"
    env = _base_env(tmp / "client-home") | {
        "PREFECT_API_URL": api, "SBRFLOW_DATABASE_URL": f"sqlite:///{app_db}",
        "SBRFLOW_VAR_DIR": str(tmp / "var"), "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    server = Server(api=api, env=env, app_db=app_db, logs=tmp, processes=[process])
    try:
        # The application side needs no server: migrate first, load the demo office's CRM.
        server.run(str(BIN / "sbrflow"), "db", "upgrade")
        server.run(sys.executable, "-c", "import sys; from sbrflow.tasks.demo import demo_workbook_rows; "
                   "from sbrflow.integrations.crm import write_workbook; "
                   "write_workbook(sys.argv[1], *demo_workbook_rows())", str(tmp / "office.xlsx"))
        server.run(str(BIN / "sbrflow"), "crm", "import", str(tmp / "office.xlsx"))
        server.run(sys.executable, "-c", "from sbrflow.tasks.demo import complete_demo_office as c; c.fn()")
        _wait_healthy(api, process, log)
        server.timings["server_ready"] = time.monotonic() - started
        server.run(str(BIN / "prefect"), "work-pool", "create", "sbrflow", "--type", "process")
        server.run(str(BIN / "prefect"), "--no-prompt", "deploy", "--all")
        server.timings["deployed"] = time.monotonic() - started
        yield server
    finally:
        for running in reversed(server.processes):
            running.terminate()
        for running in reversed(server.processes):
            try:
                running.wait(timeout=20)
            except subprocess.TimeoutExpired:
                running.kill()
        print(f"\nprefect server test timings (s): {server.timings}")


@pytest.fixture(scope="session")
def worker(prefect_server: Server) -> Server:
    """One process worker on the pool, started as README says; scheduled deployments paused first.

    Pausing deletes the runs the scheduler made, so the worker only runs what the tests start.
    """
    for name in SCHEDULED_DEPLOYMENTS:
        prefect_server.post(f"/deployments/{prefect_server.deployment(name)['id']}/pause_deployment")
    out = (prefect_server.logs / "worker.log").open("w")
    prefect_server.processes.append(subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", "sbrflow"], cwd=prefect_server.logs,
        env=prefect_server.env, stdout=out, stderr=subprocess.STDOUT))
    return prefect_server


def test_the_scheduler_creates_scheduled_runs_for_every_scheduled_deployment(prefect_server):
    # Runs first in this module (file order): the worker fixture pauses the schedules afterwards.
    deadline = time.monotonic() + 90
    found: dict[str, int] = {}
    while time.monotonic() < deadline:
        for name in SCHEDULED_DEPLOYMENTS:
            runs = prefect_server.post("/flow_runs/filter", {
                "deployments": {"name": {"any_": [name]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
            found[name] = len(runs)
        if all(found.values()):
            break
        time.sleep(1)
    assert all(found.values()), f"scheduled runs per deployment: {found}; server log in {prefect_server.logs}"
    assert "bulk DML" not in (prefect_server.logs / "server.log").read_text()


def test_a_process_worker_completes_rerun_client_for_one_client_against_the_application_database(worker):
    started = time.monotonic()
    run = worker.start_run("rerun-client", {"client_number": 1002})  # a number, as a person types it
    finished = worker.wait_for(run["id"])
    worker.timings["rerun_client_trigger_to_completed"] = time.monotonic() - started
    assert finished["state_type"] == "COMPLETED", (finished["state"], (worker.logs / "worker.log").read_text())
    assert finished["name"] == "rerun-1002"
    with sqlite3.connect(worker.app_db) as conn:
        (cases,) = conn.execute("SELECT count(*) FROM tax_case JOIN client ON client.id = tax_case.client_id "
                                "WHERE client.client_number = '1002'").fetchone()
    assert cases > 0


def test_plan_periods_run_from_the_server_publishes_its_artifact(worker):
    run = worker.start_run("plan-periods", {"run_date": "2026-11-23"})
    finished = worker.wait_for(run["id"])
    assert finished["state_type"] == "COMPLETED", finished["state"]
    assert finished["name"] == "plan-2026-11-23"
    artifacts = worker.post("/artifacts/filter", {"artifacts": {"key": {"any_": ["plan-periods"]},
                                                                "flow_run_id": {"any_": [run["id"]]}}})
    assert len(artifacts) == 1 and artifacts[0]["type"] == "table"

