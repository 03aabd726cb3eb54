"""`sbrflow crm status | register | work-stop | document | pseudo-ubo | same-address`: the client record beyond
the workbook.

Thin: each command calls one task-layer function (tasks/crm_status.py, tasks/crm_structure.py) and prints.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from sbrflow.cli.errors import domain_errors as _errors


def status_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    to: Annotated[
        str | None, typer.Option("--to", help="The next status, Dutch or English (e.g. 'ter goedkeuring').")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Code of the team member taking the step.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why; kept in the status log.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Move a client one step on the acceptance path (--to, --by), or show its status, log and what is missing."""
    from sbrflow.tasks.crm_status import change_status, status_report

    with _errors():
        if to is not None:
            if by is None:
                typer.echo("error: --by CODE is required with --to: the status log records who took the step",
                           err=True)
                raise typer.Exit(1)
            result = change_status(client, to, by, note)
            typer.echo(f"client {result['client_number']}: {result['from']} → {result['to']} (by {result['by']})")
            return
        report = status_report(client)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    typer.echo(f"client {report['client_number']} {report['name']}: {report['status_label']} ({report['status']})")
    typer.echo("next steps: " + (", ".join(report["next_steps"]) or "none"))
    if report["work_stop"]["set"]:
        typer.echo(f"werkstop since {report['work_stop']['since']}: {report['work_stop']['reason']}")
    for document in report["documents"]:
        typer.echo(f"document {document['kind']}: {'present' if document['present'] else 'missing'}")
    for problem in report["missing_for_client"]:
        typer.echo(f"missing for Klant: {problem['reason']}: {problem['message']}")
    for entry in report["log"]:
        note_text = f" — {entry['note']}" if entry["note"] else ""
        typer.echo(f"log {entry['at']} {entry['by']}: {entry['from'] or '-'} → {entry['to']}{note_text}")


def register_command(
    client: Annotated[str, typer.Argument(help="The new client number.")],
    name: Annotated[str, typer.Option("--name", help="Name of the company or person.")],
    kind: Annotated[str, typer.Option("--type", help="Bedrijf or Persoon (Relatie-Bedrijf/-Persoon for a relation).")],
    by: Annotated[str, typer.Option("--by", help="Code of the team member registering it.")],
    status: Annotated[
        str, typer.Option("--status", help="Prospect (default), Suspect, Klantaanvraag or Relatie.")] = "prospect",
) -> None:
    """Register a new client: it starts as Prospect or Klantaanvraag, never as Klant."""
    from sbrflow.tasks.crm_status import register_client

    with _errors():
        result = register_client(client, name, kind, by=by, status=status)
    typer.echo(f"client {result['client_number']} registered as {result['status']}")


def work_stop_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why work stops (e.g. unpaid invoices).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Date (YYYY-MM-DD); default today.")] = None,
    lift: Annotated[bool, typer.Option("--lift", help="Lift the werkstop.")] = False,
) -> None:
    """Set or lift a werkstop: while set, planning starts no new case for the client (reason work_stop)."""
    from sbrflow.tasks.crm_status import set_work_stop

    with _errors():
        result = set_work_stop(client, reason=reason, since=date.fromisoformat(since) if since else None, lift=lift)
    state = f"werkstop since {result['since']}: {result['reason']}" if result["work_stop"] else "no werkstop"
    typer.echo(f"client {client}: {state}")


def document_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    kind: Annotated[
        str, typer.Argument(help="Opdrachtbevestiging (engagement_letter) or KvK-uittreksel (kvk_extract).")],
    file: Annotated[Path | None, typer.Option("--file", help="The document file; stored under var/documents.")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Or: its id in the office's document system.")] = None,
    dated: Annotated[str | None, typer.Option("--dated", help="Date of the document (YYYY-MM-DD).")] = None,
) -> None:
    """Register an acceptance document of a client (a file, or a reference to the office's document system)."""
    from sbrflow.tasks.crm_status import register_document

    with _errors():
        result = register_document(client, kind, reference=reference, file=file,
                                   dated=date.fromisoformat(dated) if dated else None)
    typer.echo(f"client {client}: {result['what']} registered ({result['reference']})")


def pseudo_ubo_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    contact: Annotated[str, typer.Argument(help="Contact number of the senior manager.")],
    off: Annotated[bool, typer.Option("--off", help="Remove the pseudo-UBO mark.")] = False,
) -> None:
    """Mark a contact as pseudo-UBO of a client (Wwft: when no UBO can be found, the senior management)."""
    from sbrflow.tasks.crm_status import set_pseudo_ubo

    with _errors():
        set_pseudo_ubo(client, contact, on=not off)
    typer.echo(f"client {client}: contact {contact} is {'no longer ' if off else ''}pseudo-UBO")


def same_address_command(
    number: Annotated[str, typer.Argument(metavar="CLIENT|CONTACT", help="A client number or a contact number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the other clients, relations, contacts and locations at the same address (postcode + house number)."""
    from sbrflow.tasks.crm_structure import same_address

    with _errors():
        rows = same_address(number)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row['what']:<8} {row['number']:<10} {row['name']}  ({row['address']}, {row['kind']})")
    typer.echo(f"{len(rows)} others at the same address")


def register(crm_app: typer.Typer) -> None:
    """Add these commands to `sbrflow crm`."""
    crm_app.command("status")(status_command)
    crm_app.command("register")(register_command)
    crm_app.command("work-stop")(work_stop_command)
    crm_app.command("document")(document_command)
    crm_app.command("pseudo-ubo")(pseudo_ubo_command)
    crm_app.command("same-address")(same_address_command)
