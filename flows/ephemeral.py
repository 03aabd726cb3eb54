"""Tie Prefect's temporary API server (the ephemeral `uvicorn` child) to the process that started it.

Without PREFECT_API_URL, Prefect 3.8 starts `python -m uvicorn … prefect.server.api.server:create_app` as a
child process and stops it from an `atexit` hook. A process killed with -9 (or by SIGTERM's default action)
never runs that hook, so the server was left running under PID 1. Here the child is started through this
module instead: a watchdog thread in the child notices when its parent is gone (it is re-parented) and
stops the server (SIGTERM to itself, then a hard exit), whatever killed the parent.
"""

from __future__ import annotations

import os
import sys

_PATCHED = False


def tie_ephemeral_server_to_this_process() -> None:
    """Make Prefect start its temporary server through this module's watchdog (idempotent; no-op with an API URL)."""
    global _PATCHED
    if _PATCHED:
        return
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:  # a real Prefect server: no temporary one to look after
        return
    from prefect.server.api import server

    original = server.SubprocessASGIServer._run_uvicorn_command

    def run_uvicorn_with_watchdog(self):
        import subprocess

        real_popen = subprocess.Popen

        def popen(args, *pargs, **kwargs):
            if list(args[:3]) == [sys.executable, "-m", "uvicorn"]:
                args = [sys.executable, "-m", "sbrflow.flows.ephemeral_child", str(os.getpid()), *args[3:]]
            return real_popen(args, *pargs, **kwargs)

        subprocess.Popen = popen
        try:
            return original(self)
        finally:
            subprocess.Popen = real_popen

    server.SubprocessASGIServer._run_uvicorn_command = run_uvicorn_with_watchdog
    _PATCHED = True
