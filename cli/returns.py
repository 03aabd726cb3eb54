"""`sbrflow returns …`: parse a return file, poll the source packages, list and show what came in.

Other areas add their own commands to `returns_app` (e.g. matching: `returns match/unmatched/assign`)
in their own module; the helpers here (`document_summary`, `echo_json`) are meant to be reused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer
from sqlalchemy.orm import joinedload

from sbrflow.domain.errors import SbrflowError
from sbrflow.cli.matching import match_info
from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import DocumentStatus, TaxReturnDocument

returns_app = typer.Typer(help="SBR returns: parse, poll the source packages, list and show.", no_args_is_help=True)


def echo_json(value: Any) -> None:
    """Print a JSON document (dates and Decimals as strings)."""
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def document_summary(doc: TaxReturnDocument) -> dict[str, Any]:
    """The JSON form of a stored document: the `returns list --json` contract and a little more."""
    return {
        "id": doc.id,
        "source": doc.source_package.name,
        "source_reference": doc.source_reference,
        "tax": doc.tax.value if doc.tax else None,
        "kind": doc.kind,
        "fiscal_id": doc.fiscal_id,
        "period_start": doc.period_start.isoformat() if doc.period_start else None,
        "period_end": doc.period_end.isoformat() if doc.period_end else None,
        "amount_due": None if doc.amount_due is None else str(doc.amount_due),
        "status": doc.status.value,
        "reason": doc.reason,
        "reason_code": doc.reason_code,
        "sha256": doc.sha256,
        "size": doc.size,
        "received_at": doc.received_at.isoformat() if doc.received_at else None,
    }


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
    status: DocumentStatus = typer.Option(None, "--status", help="Only documents with this status."),
    source: str = typer.Option(None, "--source", help="Only documents from this source package."),
    limit: int = typer.Option(0, "--limit", min=0, help="At most this many, newest first (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of objects."),
) -> None:
    """List the received documents: tax, kind, fiscal id, period, status and the reason of a rejection."""
    from sbrflow.models.returns import SourcePackage

    with unit_of_work() as session:
        query = sa.select(TaxReturnDocument).options(joinedload(TaxReturnDocument.source_package))
        if status is not None:
            query = query.where(TaxReturnDocument.status == status)
        if source is not None:
            query = query.join(SourcePackage).where(SourcePackage.name == source)
        query = query.order_by(TaxReturnDocument.id.desc() if limit else TaxReturnDocument.id)
        if limit:
            query = query.limit(limit)
        rows = [document_summary(doc) for doc in session.scalars(query)]
        matches = match_info(session, [r["id"] for r in rows])
        rows = [r | matches[r["id"]] for r in rows]
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
    with unit_of_work() as session:
        doc = session.get(TaxReturnDocument, document_id, options=[joinedload(TaxReturnDocument.source_package)])
        if doc is None:
            raise ReturnNotFound(f"no return document with id {document_id} (see: sbrflow returns list)")
        record = document_summary(doc) | {
            "amount_total": None if doc.amount_total is None else str(doc.amount_total),
            "schema": doc.schema, "software": doc.software, "message_ref": doc.message_ref,
            "created_at": doc.document_created_at.isoformat() if doc.document_created_at else None,
            "stored": doc.content_path or "in the database",
        } | match_info(session, [doc.id])[doc.id]
    if as_json:
        echo_json(record)
        return
    for key, value in record.items():
        if value is not None:
            typer.echo(f"{key:<17} {value}")


class ReturnNotFound(SbrflowError, LookupError):
    """No stored return document has that id."""
