"""`sbrflow returns match | unmatched | assign`: the matching part of the returns commands."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer


def register(returns_app: typer.Typer) -> None:
    """Add the matching commands to the `returns` command group."""

    @returns_app.command("match")
    def match() -> None:
        """Match every received return not matched yet (runs the match-returns flow)."""
        from sbrflow.flows.matching import match_returns

        summary = match_returns()
        typer.echo(f"considered {summary['considered']}, matched {summary['matched']}, "
                   f"corrections {summary['corrections']}, unmatched "
                   + (", ".join(f"{k}={v}" for k, v in summary["unmatched"].items()) or "0"))

    @returns_app.command("unmatched")
    def unmatched(
        reason: Annotated[str | None, typer.Option(help="Only this reason code (e.g. no_case).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    ) -> None:
        """The unmatched queue, with each return's reason."""
        from sbrflow.tasks.returns_reads import unmatched_rows

        rows = unmatched_rows(reason)
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            typer.echo("no unmatched returns")
        for row in rows:
            typer.echo(f"{row['id']:>6}  {row['tax']}  {row['fiscal_id'] or '-':<13} {row['period_start']}  "
                       f"{row['reason_code']:<18} {row['reason']}")

    @returns_app.command("assign")
    def assign(
        return_id: Annotated[int, typer.Argument(help="The return's id (see: sbrflow returns unmatched).")],
        client: Annotated[str, typer.Option("--client", help="The client number to assign it to.")],
        period: Annotated[str | None, typer.Option("--period", help="Period label of the case, e.g. 2026-Q1.")] = None,
        by: Annotated[str | None, typer.Option("--by", help="Who does this (default: your user name).")] = None,
    ) -> None:
        """Tie a return to a client's case by hand; recorded in the audit trail (who, when)."""
        from sbrflow.tasks.matching import assign_return

        actor = by or getpass.getuser()
        result = assign_return(return_id, client, period_label=period, actor=actor)
        typer.echo(f"return {result['document_id']} assigned to client {result['client_number']}, "
                   f"case {result['case_id']} ({result['period_label']}) by {actor}")
