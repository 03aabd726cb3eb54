"""The `sbrflow` command line: one entry point; each area adds its own sub-commands."""

from __future__ import annotations

import sys

import typer

from sbrflow.config.settings import ConfigurationError
from sbrflow.flows.cli_db import db_app

# Each area of the command line lives in its own module flows/cli_<area>.py and is registered here.

app = typer.Typer(
    name="sbrflow",
    help="Recurring VAT and payroll returns of a Dutch accounting office, run on Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")


@app.command("demo")
def demo() -> None:
    """Migrate, load the demo office and run the pipeline end to end; print a summary."""
    from sbrflow.flows.cli_db import upgrade_database
    from sbrflow.flows.demo import demo_office

    upgrade_database()
    result = demo_office()
    typer.echo("\nsbrflow demo — summary")
    for section, counts in result.items():
        typer.echo(f"  {section}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def main() -> None:
    """Run the CLI; errors a user can act on end as one line on stderr, not a stack trace."""
    try:
        app()
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
