"""SIGTERM stops a run: long loops (a poll's pages and downloads) check `stop_requested` and end cleanly.

`install_sigterm_handler()` (called by the command line) turns the first SIGTERM into a request to stop:
the flag is set, the main thread gets KeyboardInterrupt (Prefect records the run as ended), and whatever
is still running after a grace period is ended for it, after stopping Prefect's temporary server so it is
not left behind. A second SIGTERM ends the process at once. Standard library only.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

stop_requested = threading.Event()
GRACE_SECONDS = 15.0


class StopRequested(Exception):
    """The process was asked to stop (SIGTERM); the work done so far is committed, the rest is left."""


def check_stop() -> None:
    """Raise StopRequested when a stop was asked for (call it between units of work)."""
    if stop_requested.is_set():
        raise StopRequested("stopped: the process received SIGTERM; what was stored so far is kept")


def _stop_temporary_prefect_server() -> None:
    server = sys.modules.get("prefect.server.api.server")
    if server is None:
        return
    for instance in list(getattr(server.SubprocessASGIServer, "_instances", {}).values()):
        try:
            instance.stop()
        except Exception:  # noqa: BLE001 - we are on our way out
            pass


def _hard_exit(code: int) -> None:
    _stop_temporary_prefect_server()
    os._exit(code)


def _on_sigterm(signum, _frame) -> None:
    if stop_requested.is_set():
        _hard_exit(128 + signum)
    stop_requested.set()
    timer = threading.Timer(GRACE_SECONDS, _hard_exit, args=(128 + signum,))
    timer.daemon = True
    timer.start()
    raise KeyboardInterrupt("SIGTERM")


def install_sigterm_handler() -> None:
    """Install the handler (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
