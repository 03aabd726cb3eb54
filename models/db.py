"""Engine and sessions: created lazily on first use, so importing needs no database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from sbrflow.config.settings import get_settings

# Keys per IN (…) in one statement: far below SQLite's 32,766 bound parameters (and PostgreSQL's 65,535).
CHUNK = 5000
T = TypeVar("T")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Split keys into lists of at most `size`, for IN (…) queries: the one chunking helper of the project."""
    values = values if isinstance(values, list) else list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def create_engine_for(url: str, *, echo: bool = False) -> Engine:
    """An engine for a URL, with SQLite made safe for several processes and foreign keys on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30}, hide_parameters=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, echo=echo, pool_pre_ping=True, future=True, hide_parameters=True)
    # Bound values (BSNs, dates of birth) never appear in logs (also under SBRFLOW_DATABASE_ECHO), nor in
    # errors: hide_parameters, and every database error is stripped of the values the server quotes back.
    sa.event.listen(engine, "handle_error", _without_values)
    return engine


_NUMBERS = re.compile(r"\d{4,}")


def without_values(text: str) -> str:
    """A database message's first line (the server's DETAIL/quoted rows dropped), long numbers masked."""
    first = next((line for line in str(text).splitlines() if line.strip()), "")
    first = re.sub(r'(:\s*)"[^"]*"', r'\1"…"', first)  # invalid input syntax for type date: "…"
    return _NUMBERS.sub("•••", first)


def _without_values(context) -> None:
    error, orig = context.sqlalchemy_exception, context.original_exception
    message = f"({type(orig).__module__}.{type(orig).__name__}) {without_values(str(orig))}"
    if error is not None:
        error.args = (message, *error.args[1:])
        error.params = None  # nothing to show, whatever hide_parameters says
    try:
        orig.args = (without_values(str(orig)),)
    except (AttributeError, TypeError):
        pass


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite enforces foreign keys only when asked, per connection; WAL lets a reader and
    # a writer (e.g. a flow run and the CLI) work at the same time.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process's engine for SBRFLOW_DATABASE_URL."""
    settings = get_settings()
    return create_engine_for(settings.database_url, echo=settings.database_echo)


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def reset_engine() -> None:
    """Forget the cached settings, engine and session factory (after the settings change)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    _session_factory.cache_clear()
    get_engine.cache_clear()
    get_settings.cache_clear()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits once at the end, or rolls back everything on an error."""
    factory = sessionmaker(bind=engine, expire_on_commit=False) if engine else _session_factory()
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
