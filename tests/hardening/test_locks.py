"""Named database locks: one holder at a time, the holder named, and a dead holder never keeps a lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sbrflow.models.locks import AppLock, LockBusy, database_lock


def test_a_second_holder_waits_a_bounded_time_then_is_told_who_holds_the_lock(db):
    with database_lock("job", holder="plan-periods flow run 'brave-owl'", wait=0, what="planning"):
        started = time.monotonic()
        with pytest.raises(LockBusy) as busy:
            with database_lock("job", holder="second", wait=0.6, what="planning"):
                pass
        assert 0.5 <= time.monotonic() - started < 5
    message = str(busy.value)
    assert message.startswith("planning is busy: held by plan-periods flow run 'brave-owl'")
    assert f"pid {os.getpid()}" in message and "since" in message
    with database_lock("job", holder="third", wait=0):  # released at the end of the block
        pass
    with db.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(AppLock)) == 0


def test_locks_of_different_names_do_not_block_each_other(db):
    with database_lock("source-package:a", holder="one", wait=0):
        with database_lock("source-package:b", holder="two", wait=0):
            pass


_HOLDER = """
import sys, time
from sbrflow.models.locks import database_lock
with database_lock("source-package:sim", holder="victim", wait=5):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_lock_held_by_a_process_killed_with_sigkill_is_taken_at_once(db):
    env = {**os.environ, "SBRFLOW_DATABASE_URL": db.url.render_as_string(hide_password=False)}
    victim = subprocess.Popen([sys.executable, "-c", _HOLDER], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy, match="victim"):
            with database_lock("source-package:sim", holder="me", wait=0.3):
                pass
    finally:
        victim.kill()
        victim.wait()
    started = time.monotonic()
    with database_lock("source-package:sim", holder="me", wait=20):
        taken_after = time.monotonic() - started
    assert taken_after < 10


def test_a_lock_whose_heartbeat_stopped_elsewhere_is_taken_over_only_after_it_expired(db):
    if db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's advisory lock ends with its holder's connection; the row only names the holder")
    now = datetime.now(UTC)
    row = dict(name="crm-import", token="x" * 32, holder="other machine", host="elsewhere.invalid", pid=1,
               process_start=None, acquired_at=now)
    with db.begin() as conn:
        conn.execute(sa.insert(AppLock).values(**row, expires_at=now + timedelta(seconds=60)))
    with pytest.raises(LockBusy, match="other machine"):
        with database_lock("crm-import", holder="me", wait=0.3):
            pass
    with db.begin() as conn:
        conn.execute(sa.update(AppLock).values(expires_at=now - timedelta(seconds=1)))
    with database_lock("crm-import", holder="me", wait=0):
        pass


def test_the_heartbeat_keeps_pushing_the_expiry_forward_while_the_lock_is_held(db):
    if db.dialect.name != "sqlite":
        pytest.skip("only SQLite needs a heartbeat")
    with database_lock("match-returns", holder="me", wait=0, ttl=1.0):
        with db.connect() as conn:
            first = conn.scalar(sa.select(AppLock.expires_at))
        time.sleep(0.8)
        with db.connect() as conn:
            later = conn.scalar(sa.select(AppLock.expires_at))
    assert later > first
