"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and one Prefect harness.

Every test that takes `db` runs twice: on a SQLite file and on a fresh, uniquely named
PostgreSQL database on the server at SBRFLOW_TEST_POSTGRES_URL (dropped afterwards). When that
server is unreachable the PostgreSQL half skips with the reason — except in CI (CI=true), where
it fails, so CI never passes on SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from sbrflow.models import Base, migrate
from sbrflow.models.db import create_engine_for, reset_engine

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", "postgresql"]


def _server_url() -> str:
    return os.environ.get("SBRFLOW_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

    def reachable(self) -> str | None:
        """None when the server answers, else the reason it does not."""
        try:
            with self.admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            return str(exc.orig).strip().splitlines()[0]
        return None

    def create_database(self) -> str:
        name = f"sbrflow_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(_server_url())
    reason = server.reachable()
    if reason is not None:
        message = f"PostgreSQL at {server.url.render_as_string(hide_password=True)} unreachable: {reason}"
        if _in_ci():
            pytest.fail(message + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(message)
    yield server
    server.admin.dispose()


@pytest.fixture
def fresh_database_url(request, tmp_path) -> Iterator[str]:
    """An empty database of the backend in request.param (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'sbrflow.db'}"
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def _migrated_postgresql(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database()
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    postgres_server.drop_database(url)


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # audit_event refuses DELETE (append-only trigger); TRUNCATE fires no row trigger.
            conn.execute(sa.text("TRUNCATE audit_event"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db(request, monkeypatch) -> Iterator[Engine]:
    """A migrated database on each backend, emptied after the test; get_engine() returns it."""
    url = request.getfixturevalue(f"_migrated_{request.param}")
    monkeypatch.setenv("SBRFLOW_DATABASE_URL", url)
    reset_engine()
    from sbrflow.models.db import get_engine

    engine = get_engine()
    try:
        yield engine
    finally:
        _empty_all_tables(engine)
        reset_engine()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness for the whole session (each one costs ~9 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; never `playwright install` (it downloads a browser)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright; skipped with the reason when missing, failed under CI."""
    # Module scope: Playwright's sync API runs an event loop on this thread while it is open, and
    # Prefect's sync calls in later test modules must not find one running.
    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is not installed (.ci/run installs it with apt-get)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def live_web(db) -> Iterator[str]:
    """The web application under uvicorn on a free loopback port, against this test's database; its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    from sbrflow.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)
