"""Named locks in OUR database, so that a crashed process can never hold one for good.

`database_lock("source-package:nmbrs", holder=..., wait=30)` is held for the `with` block:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a dedicated connection. The server
  releases it the moment that connection ends — also when the process is killed with -9 — so it cannot leak.
- SQLite: a row in `app_lock` with an owner token, the holder's host, pid and process start time, and an
  expiry that a heartbeat thread pushes forward while the lock is held. A row whose process is gone (same
  host: the pid no longer runs that process) or whose heartbeat stopped (expired) is taken over.

On both, the `app_lock` row names the holder (which run, which process, since when), so a process that
cannot get the lock within `wait` seconds raises `LockBusy` saying who holds it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.domain.errors import Unavailable
from sbrflow.models.base import Base

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.25  # seconds between two attempts while waiting


class AppLock(Base):
    """Who holds a named lock (both databases) and until when its heartbeat vouches for it (SQLite)."""

    __tablename__ = "app_lock"

    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
    holder: Mapped[str] = mapped_column(sa.String(500))
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column(sa.Integer)
    # The process's start time (Linux: /proc/<pid>/stat, in clock ticks), so a reused pid is not mistaken for it.
    process_start: Mapped[str | None] = mapped_column(sa.String(32))
    acquired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class LockBusy(Unavailable):
    """Another run holds the lock; the message names it and since when."""

    def __init__(self, name: str, what: str, holder: str | None, since: datetime | None, waited: float) -> None:
        self.name, self.holder, self.since = name, holder, since
        who = holder or "another process (it has not said which yet)"
        when = f" since {since:%Y-%m-%d %H:%M:%S} UTC" if since else ""
        super().__init__(f"{what} is busy: held by {who}{when}; gave up after waiting {waited:.0f} s "
                         "(it is released when that run ends or its process dies; try again later)")


@dataclass(frozen=True)
class _Me:
    token: str
    holder: str
    host: str
    pid: int
    process_start: str | None


def _process_start(pid: int) -> str | None:
    """The start time of process `pid` (Linux), or None when unknown or not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22, counted after the command name (which may itself hold spaces and parentheses).
    return stat.rsplit(")", 1)[1].split()[19]


def _process_gone(pid: int, start: str | None) -> bool | None:
    """True when that process no longer runs on this host, False when it does, None when we cannot tell."""
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return None
        return None  # running, but the pid may have been reused: let the expiry decide
    now = _process_start(pid)
    if now is None:
        return True
    return start is not None and now != start


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(b"sbrflow:" + name.encode()).digest()[:8], "big", signed=True)


def _read(engine: Engine, name: str) -> AppLock | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(AppLock.__table__).where(AppLock.name == name)).mappings().first()
    return None if row is None else AppLock(**row)


def _values(me: _Me, now: datetime, ttl: float) -> dict:
    return {"token": me.token, "holder": me.holder[:500], "host": me.host[:255], "pid": me.pid,
            "process_start": me.process_start, "acquired_at": now, "expires_at": now + timedelta(seconds=ttl)}


def _stale(row: AppLock, now: datetime) -> bool:
    if row.host == socket.gethostname():
        gone = _process_gone(row.pid, row.process_start)
        if gone is not None:
            return gone
    return _utc(row.expires_at) <= now


def _try_row(engine: Engine, name: str, me: _Me, ttl: float) -> bool:
    """SQLite: take the lock row if it is free or stale (compare-and-swap on the old token)."""
    table = AppLock.__table__
    now = datetime.now(UTC)
    row = _read(engine, name)
    try:
        with engine.begin() as conn:
            if row is None:
                conn.execute(table.insert().values(name=name, **_values(me, now, ttl)))
                return True
            if not _stale(row, now):
                return False
            taken = conn.execute(table.update().where(table.c.name == name, table.c.token == row.token)
                                 .values(**_values(me, now, ttl)))
            if taken.rowcount == 1:
                log.warning("lock %s: took over from %s (pid %s on %s), whose process is gone or stopped "
                            "renewing it", name, row.holder, row.pid, row.host)
            return taken.rowcount == 1
    except sa.exc.IntegrityError:  # another process inserted it a moment ago
        return False


def _claim_row(engine: Engine, name: str, me: _Me, ttl: float) -> None:
    """PostgreSQL, lock held: record who holds it (informational; the advisory lock is the authority)."""
    table = AppLock.__table__
    with engine.begin() as conn:
        values = _values(me, datetime.now(UTC), ttl)
        if conn.execute(table.update().where(table.c.name == name).values(**values)).rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert().values(name=name, **values))
            except sa.exc.IntegrityError:
                conn.execute(table.update().where(table.c.name == name).values(**values))


def _release_row(engine: Engine, name: str, me: _Me) -> None:
    table = AppLock.__table__
    try:
        with engine.begin() as conn:
            conn.execute(table.delete().where(table.c.name == name, table.c.token == me.token))
    except sa.exc.SQLAlchemyError:  # the expiry or the next taker cleans up
        log.warning("lock %s: could not remove its row; it expires by itself", name)


class _Heartbeat(threading.Thread):
    """Pushes the row's expiry forward every ttl/4 s while the lock is held (SQLite)."""

    def __init__(self, engine: Engine, name: str, me: _Me, ttl: float) -> None:
        super().__init__(name=f"lock-heartbeat-{name}", daemon=True)
        self.engine, self.lock_name, self.me, self.ttl = engine, name, me, ttl
        self.stopped = threading.Event()

    def run(self) -> None:
        table = AppLock.__table__
        while not self.stopped.wait(self.ttl / 4):
            try:
                with self.engine.begin() as conn:
                    kept = conn.execute(
                        table.update().where(table.c.name == self.lock_name, table.c.token == self.me.token)
                        .values(expires_at=datetime.now(UTC) + timedelta(seconds=self.ttl))
                    ).rowcount
            except sa.exc.SQLAlchemyError as exc:  # e.g. a long write elsewhere: try again next beat
                log.warning("lock %s: heartbeat failed (%s); retrying", self.lock_name, type(exc).__name__)
                continue
            if not kept:
                log.error("lock %s: lost (another process took it over after it expired)", self.lock_name)
                return


@contextmanager
def database_lock(name: str, *, holder: str, wait: float, ttl: float = 120.0, what: str | None = None,
                  engine: Engine | None = None) -> Iterator[None]:
    """Hold the named lock for the block; wait at most `wait` seconds for it, else raise LockBusy."""
    if engine is None:
        from sbrflow.models.db import get_engine

        engine = get_engine()
    me = _Me(uuid.uuid4().hex, holder, socket.gethostname(), os.getpid(), _process_start(os.getpid()))
    started = time.monotonic()
    deadline = started + max(wait, 0.0)
    postgres = engine.dialect.name == "postgresql"
    connection = None
    try:
        if postgres:
            connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            key = advisory_key(name)
            while not connection.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar():
                _wait_or_give_up(engine, name, what, deadline, started)
            _claim_row(engine, name, me, ttl)
            heartbeat = None
        else:
            while not _try_row(engine, name, me, ttl):
                _wait_or_give_up(engine, name, what, deadline, started)
            heartbeat = _Heartbeat(engine, name, me, ttl)
            heartbeat.start()
    except BaseException:
        if connection is not None:
            connection.close()
        raise
    try:
        yield
    finally:
        if heartbeat is not None:
            heartbeat.stopped.set()
        _release_row(engine, name, me)
        if connection is not None:
            try:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(advisory_key(name))))
            finally:
                connection.close()  # ending the session releases it in any case


def _wait_or_give_up(engine: Engine, name: str, what: str | None, deadline: float, started: float) -> None:
    if time.monotonic() >= deadline:
        row = _read(engine, name)
        holder = f"{row.holder} (pid {row.pid} on {row.host})" if row else None
        raise LockBusy(name, what or f"lock {name!r}", holder, _utc(row.acquired_at) if row else None,
                       time.monotonic() - started)
    time.sleep(min(POLL_INTERVAL, max(deadline - time.monotonic(), 0.01)))
