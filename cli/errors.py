"""How a command ends on an error a person can fix (domain/errors.py's tree): one line on stderr, no traceback.

Not found (a client, person, note, query …): exit 2 naming the thing; any other SbrflowError: exit 1, its
lines joined into one. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer


@contextmanager
def domain_errors() -> Iterator[None]:
    from sbrflow.domain.errors import NotFound, SbrflowError

    try:
        yield
    except NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except SbrflowError as exc:
        typer.echo("error: " + "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()), err=True)
        raise typer.Exit(1) from None
