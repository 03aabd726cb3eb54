"""`sbrflow sources …`: the source packages returns are polled from, configured as data."""

from __future__ import annotations

import json

import sqlalchemy as sa
import typer

from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import SourcePackage
from sbrflow.tasks.intake import SourceConfigError, add_source, shown_url

__all__ = ["SourceConfigError", "add_source", "sources_app"]

sources_app = typer.Typer(help="Source packages: where SBR returns come from.", no_args_is_help=True)


@sources_app.command("add")
def add(
    name: str = typer.Argument(..., help="A short unique name, e.g. 'nmbrs' or 'scan-inbox'."),
    folder: str = typer.Option(None, "--folder", help="Folder drop: a directory of .xbrl/.xml files."),
    url: str = typer.Option(None, "--url", help="HTTP API root, e.g. http://127.0.0.1:8081/api/v1."),
    token_env: str = typer.Option(
        None, "--token-env", help="Environment variable holding the API token (or prefect-secret:BLOCK)."
    ),
    taxes: str = typer.Option("OB,LH", "--taxes", help="Taxes it delivers: OB, LH or OB,LH."),
) -> None:
    """Add (or update and re-enable) a source package."""
    row, created = add_source(name, folder=folder, url=url, token_env=token_env, taxes=taxes)
    typer.echo(f"{'added' if created else 'updated'} source {row.name} ({row.kind.value}: {row.url or row.folder})")


@sources_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the source packages, their kind, where they are, and their cursor."""
    with unit_of_work() as session:
        rows = [
            {"name": s.name, "kind": s.kind.value, "location": shown_url(s.url) or s.folder, "token_env": s.token_env,
             "taxes": s.taxes, "enabled": s.enabled, "cursor": s.cursor,
             "last_polled_at": s.last_polled_at.isoformat() if s.last_polled_at else None}
            for s in session.scalars(sa.select(SourcePackage).order_by(SourcePackage.name))
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no source packages (add one: sbrflow sources add NAME --url URL | --folder DIR)")
    for r in rows:
        state = "enabled" if r["enabled"] else "disabled"
        typer.echo(f"{r['name']:<20} {r['kind']:<6} {state:<8} {r['taxes']:<6} {r['location']}"
                   f"  cursor={r['cursor'] or '-'}")


@sources_app.command("disable")
def disable(name: str = typer.Argument(..., help="The source package to stop polling.")) -> None:
    """Stop polling a source package (its documents and cursor are kept; `sources add` re-enables)."""
    with unit_of_work() as session:
        row = session.scalars(sa.select(SourcePackage).where(SourcePackage.name == name)).one_or_none()
        if row is None:
            raise SourceConfigError(f"no source package named {name!r} (see: sbrflow sources list)")
        row.enabled = False
    typer.echo(f"disabled source {name}")
