"""How a flow ends when a person must fix something: Failed with one clear line, no traceback.

A domain error (domain/errors.py, SbrflowError: unknown client, bad period, a source down) is not a bug:
the run fails with the error as its state message and one log line; the caller (the CLI) gets the same
exception back. Any other exception is a bug and keeps Prefect's full traceback.

Every flow of sbrflow is wrapped (`@flow(...)` over `@fails_cleanly`); a subflow that fails cleanly hands
its error to its parent, which fails cleanly with it too. Prefect's task engine logs a failed task with
`exc_info`; the filter below drops the traceback from that line when the error is a SbrflowError.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from sbrflow.domain.errors import SbrflowError

F = TypeVar("F", bound=Callable[..., Any])


def one_line(exc: BaseException) -> str:
    """`PlanningError: no client with number '9999'`: the error's class and its message on one line."""
    return f"{type(exc).__name__}: " + "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


class DomainErrorsWithoutTraceback(logging.Filter):
    """Keep Prefect's log line about a failed task or flow, without the traceback, when a person must fix it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], SbrflowError):
            record.exc_info, record.exc_text = None, None
        return True


_FILTER = DomainErrorsWithoutTraceback()
for _name in ("prefect.task_runs", "prefect.flow_runs", "prefect.engine"):
    if _FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_FILTER)


def fails_cleanly(fn: F) -> F:
    """Wrap a flow function (under @flow): a SbrflowError ends the run Failed with its message, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SbrflowError as exc:
            from prefect import get_run_logger
            from prefect.states import Failed

            message = one_line(exc)
            get_run_logger().error(message)
            return Failed(message=message, data=exc)

    # Prefect validates parameters from the annotations; resolve them in the flow's own module (they are
    # strings under `from __future__ import annotations`, and the wrapper lives in this module).
    wrapper.__annotations__ = typing.get_type_hints(fn)
    wrapper.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _value(parameter: object, label: str = "") -> str | None:
    """A parameter as it reads in a run name: an enum's value, a date's ISO form, a path's file name, nothing
    for None; after `label-` when the key was given as `key:label` (`case_id:case` → `case-57`)."""
    if parameter is None or parameter is False:
        return None
    text = str(getattr(parameter, "value", parameter))
    if isinstance(parameter, str) and "/" in text.rstrip("/"):
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return f"{label}-{text}" if label else text


def run_name(prefix: str, *keys: str, default: Callable[[], str] | None = None) -> Callable[[], str]:
    """A flow-run name built from the run's parameters (`rerun-1002-vat_return`), so the runs list says what for.

    `default` gives the part used when none of `keys` is set (`poll-all`, `route-2026-11-30`).
    """

    def name() -> str:
        from prefect.runtime import flow_run

        parameters = flow_run.parameters
        parts = [_value(parameters.get(key.partition(":")[0]), key.partition(":")[2]) for key in keys]
        if default is not None and not any(parts):
            parts = [default()]
        return "-".join([prefix, *(part for part in parts if part)])

    return name


def today() -> str:
    """Today's date in ISO form: the default part of a run name."""
    from datetime import date

    return date.today().isoformat()
