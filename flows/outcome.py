"""How a flow ends when a person must fix something: Failed with one clear line, no traceback.

A domain error (domain/errors.py, SbrflowError: unknown client, bad period, a source down) is not a bug:
the run fails with the error as its state message and one log line; the caller (the CLI) gets the same
exception back. Any other exception is a bug and keeps Prefect's full traceback.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from sbrflow.domain.errors import SbrflowError

F = TypeVar("F", bound=Callable[..., Any])


def fails_cleanly(fn: F) -> F:
    """Wrap a flow function (under @flow): a SbrflowError ends the run Failed with its message, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SbrflowError as exc:
            from prefect import get_run_logger
            from prefect.states import Failed

            message = f"{type(exc).__name__}: " + "; ".join(l.strip() for l in str(exc).splitlines() if l.strip())
            get_run_logger().error(message)
            return Failed(message=message, data=exc)

    # Prefect validates parameters from the annotations; resolve them in the flow's own module (they are
    # strings under `from __future__ import annotations`, and the wrapper lives in this module).
    wrapper.__annotations__ = typing.get_type_hints(fn)
    wrapper.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
