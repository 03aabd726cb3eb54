"""One run at a time per job: the named database lock (models/locks.py) with the current run as its holder.

    with exclusive("match-returns", what="matching (match-returns)"):
        ...

A second run waits up to SBRFLOW_LOCK_WAIT seconds for the first, then raises `LockBusy` naming the run and
process that holds it. A killed run never keeps the lock (see models/locks.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sbrflow.config.settings import get_settings
from sbrflow.models.locks import LockBusy, database_lock

__all__ = ["LockBusy", "describe_this_run", "exclusive"]


def describe_this_run() -> str:
    """Which flow run (or command) and which process this is, for the message another run shows."""
    try:
        from prefect.runtime import flow_run

        run_id, run_name, flow_name = flow_run.get_id(), flow_run.get_name(), flow_run.get_flow_name()
    except Exception:  # noqa: BLE001 - outside Prefect, or its context is unavailable: the process is enough
        run_id = None
    if run_id:
        return f"{flow_name} flow run {run_name!r} ({run_id})"
    return "the command " + " ".join(["sbrflow", *sys.argv[1:3]]) if sys.argv else "a process"


@contextmanager
def exclusive(name: str, *, what: str | None = None, wait: float | None = None) -> Iterator[None]:
    """Hold the lock `name` for the block (wait at most `wait`, default SBRFLOW_LOCK_WAIT, seconds)."""
    settings = get_settings()
    with database_lock(name, holder=describe_this_run(), wait=settings.lock_wait if wait is None else wait,
                       ttl=settings.lock_ttl, what=what):
        yield
