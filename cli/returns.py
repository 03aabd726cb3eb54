"""`sbrflow returns …`: parse a return file, poll the source packages, list and show what came in.

Other areas add their own commands to `returns_app` (e.g. matching: `returns match/unmatched/assign`)
in their own module; `echo_json` is meant to be reused. The queries are in tasks/returns_reads.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

returns_app = typer.Typer(help="SBR returns: parse, poll the source packages, list and show.", no_args_is_help=True)


def echo_json(value: Any) -> None:
    """Print a JSON document (dates and Decimals as strings)."""
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


@returns_app.command("parse")
def parse(
    file: Path = typer.Argument(..., help="A VAT return (.xbrl) or Loonaangifte (.xml)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Parse one return file and print its normalised record (exit 2 when it is not a valid return)."""
    from sbrflow.config.settings import get_settings
    from sbrflow.integrations.sbr.parser import InvalidReturnDocument, parse_return
    from sbrflow.integrations.sbr.safexml import too_large_message

    limit = get_settings().document_max_bytes
    try:
        size = file.stat().st_size
        if size > limit:  # said before reading: a 1 GiB file is not read to find out
            typer.echo(f"error: {file.name}: {too_large_message(size, limit)}", err=True)
            raise typer.Exit(2)
        with file.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        typer.echo(f"error: cannot read {str(file)!r}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    try:
        parsed = parse_return(data, max_bytes=limit)
    except InvalidReturnDocument as exc:
        typer.echo(f"error: {file.name}: {exc}", err=True)
        raise typer.Exit(2) from None
    record = parsed.to_json_dict()
    if as_json:
        echo_json(record)
        return
    for key in ("tax", "kind", "fiscal_id", "period_start", "period_end", "amount_due", "software", "schema",
                "message_ref", "sha256"):
        typer.echo(f"{key:<13} {record.get(key)}")


@returns_app.command("poll")
def poll(source: str = typer.Option(None, "--source", help="Poll only this source package.")) -> None:
    """Run the poll-returns flow now and print per source: new, duplicate, rejected."""
    from sbrflow.flows.intake import SourcesFailed, poll_returns

    state = poll_returns(source=source, return_state=True)
    outcome = state.result(raise_on_failure=False)
    summary = outcome.summary if isinstance(outcome, SourcesFailed) else outcome
    if not isinstance(summary, dict):
        typer.echo(f"error: poll-returns failed: {outcome}", err=True)
        raise typer.Exit(1)
    for row in summary["sources"]:
        line = f"{row['source']:<20} new={row['new']} duplicate={row['duplicate']} rejected={row['rejected']}"
        typer.echo(line + (f"  {row['status'].upper()}: {row['error']}" if row["status"] != "ok" else ""))
    if not summary["sources"]:
        typer.echo("no enabled source packages (add one: sbrflow sources add NAME --url URL | --folder DIR)")
    if isinstance(outcome, SourcesFailed) or any(row["status"] != "ok" for row in summary["sources"]):
        raise typer.Exit(1)


@returns_app.command("list")
def list_(
    status: str = typer.Option(None, "--status", help="Only documents with this status: received or rejected."),
    source: str = typer.Option(None, "--source", help="Only documents from this source package."),
    limit: int = typer.Option(0, "--limit", min=0, help="At most this many, newest first (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of objects."),
) -> None:
    """List the received documents: tax, kind, fiscal id, period, status and the reason of a rejection."""
    from sbrflow.tasks.returns_reads import list_documents

    rows = list_documents(status, source, limit)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no documents")
    for r in rows:
        period = f"{r['period_start']}..{r['period_end']}" if r["period_start"] else "-"
        tail = r["amount_due"] if r["status"] == "received" else f"({r['reason']})"
        typer.echo(f"{r['id']:>6} {r['source']:<14} {r['tax'] or '-':<2} {r['kind'] or '-':<13} "
                   f"{r['fiscal_id'] or '-':<12} {period:<22} {r['status']:<8} {tail}")


@returns_app.command("show")
def show(
    document_id: int = typer.Argument(..., metavar="ID", help="The document id (see returns list)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Show one document's parsed record, origin and status (never its employee data)."""
    from sbrflow.tasks.returns_reads import show_document

    record = show_document(document_id)
    if as_json:
        echo_json(record)
        return
    for key, value in record.items():
        if value is not None:
            typer.echo(f"{key:<17} {value}")
