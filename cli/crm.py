"""`sbrflow crm …`: import, template, export and readiness check of the office's CRM."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

crm_app = typer.Typer(help="The office's CRM: import and export the workbook, check readiness.", no_args_is_help=True)


class OutputFormat(StrEnum):
    """How `crm check` prints its report."""

    TABLE = "table"
    JSON = "json"


@crm_app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="An .xlsx workbook, a folder of .csv files, or the .csv files.")],
    partial: Annotated[bool, typer.Option("--partial", help="Write the valid rows; report the rest.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the report to REPORT.xlsx or .csv.")] = None,
) -> None:
    """Import the CRM workbook: all or nothing (exit 1 and the full list of errors), unless --partial."""
    from sbrflow.integrations.crm.report import write_report
    from sbrflow.tasks.crm_import import OUTCOMES, import_workbook

    result = import_workbook(paths[0] if len(paths) == 1 else paths, partial=partial, dry_run=dry_run)
    for kind, counts in result.counts.items():
        # Nothing written: "created 4" would not be true; only what was rejected is.
        shown = OUTCOMES if result.written or dry_run else [o for o in OUTCOMES if o == "rejected"]
        typer.echo(f"{kind:9} " + ", ".join(f"{outcome} {counts[outcome]}" for outcome in shown))
    for row in result.rows():
        where = ", ".join(str(part) for part in (row["sheet"], row["row"] and f"row {row['row']}",
                                                   row["column"] and f"column {row['column']}") if part)
        value = f" [{row['value']}]" if row["value"] else ""
        typer.echo(f"{row['severity']}: {where}{value}: {row['message']}")
    if report is not None:
        write_report(report, result.rows(), result.counts)
        typer.echo(f"report written to {report}")
    if dry_run:
        typer.echo("dry run: nothing written")
    elif not result.written:
        typer.echo(f"nothing written: {len(result.errors)} errors; fix them, or import with --partial", err=True)
    elif result.errors:
        typer.echo(f"written without the rejected rows: {len(result.errors)} errors", err=True)
    raise typer.Exit(0 if result.ok else 1)


@crm_app.command("template")
def template_command(path: Annotated[Path, typer.Argument(help="Where to write the empty workbook (.xlsx).")]) -> None:
    """Write an empty workbook with the expected sheets, headers and an explanation sheet."""
    from sbrflow.integrations.crm import write_template

    if path.suffix.lower() != ".xlsx":
        typer.echo(f"error: {path.name}: the template is an .xlsx workbook", err=True)
        raise typer.Exit(2)
    write_template(path)
    typer.echo(f"template written to {path}")


@crm_app.command("export")
def export_command(
    path: Annotated[Path, typer.Argument(help="PATH.xlsx, or PATH.csv for PATH-clienten/-contacten/-medewerkers.csv")],
    status: Annotated[str | None, typer.Option(help="Only clients with this status, e.g. client.")] = None,
    product: Annotated[str | None, typer.Option(help="Only clients taking this product, e.g. vat_return.")] = None,
    frequency: Annotated[str | None, typer.Option(help="Only clients filing at this frequency, e.g. month.")] = None,
    member: Annotated[str | None, typer.Option(help="Only clients where this team member holds a role.")] = None,
    role: Annotated[str | None, typer.Option(help="Only clients with this role assigned (to --member).")] = None,
) -> None:
    """Export the clients matching all filters, with their contacts and the team; it re-imports unchanged."""
    from sbrflow.tasks.crm_export import export_crm

    summary = export_crm(path, status=status, product=product, frequency=frequency, member=member, role=role)
    typer.echo(f"exported {summary['clients']} clients, {summary['contacts']} contact rows, "
               f"{summary['team']} team members to " + ", ".join(summary["files"]))


@crm_app.command("check")
def check_command(
    product: Annotated[str | None, typer.Option(help="Check for one product, e.g. vat_return.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Per client with status client: what prevents its workflows from running. Exit 0 when all are ready."""
    from sbrflow.tasks.crm_check import check_readiness

    result = check_readiness(product=product)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        clients = result["clients"]
        for client in clients:
            if client["ready"]:
                typer.echo(f"{client['client_number']:>10}  {client['name']}: ready")
            for problem in client["problems"]:
                typer.echo(f"{client['client_number']:>10}  {client['name']}: "
                           f"{problem['reason']}: {problem['message']}")
        ready = sum(1 for client in clients if client["ready"])
        typer.echo(f"{ready} of {len(clients)} clients ready")
    raise typer.Exit(0 if result["ready"] else 1)
