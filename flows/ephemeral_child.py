"""The temporary Prefect server's launcher: `python -m sbrflow.flows.ephemeral_child PARENT_PID <uvicorn args>`.

Runs uvicorn with a watchdog thread that stops the server when the parent process is gone (see ephemeral.py).
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time


def _watch_parent(parent: int, interval: float = 0.5, grace: float = 10.0) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM
    time.sleep(grace)
    os._exit(1)


def main(argv: list[str]) -> None:
    """`python -m sbrflow.flows.ephemeral_child PARENT_PID <uvicorn arguments>`."""
    parent = int(argv[0])
    if os.getppid() != parent:  # the parent died before we even started
        sys.exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()
    sys.argv = ["uvicorn", *argv[1:]]
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
