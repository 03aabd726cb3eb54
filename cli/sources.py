"""`sbrflow sources …`: the source packages returns are polled from, configured as data."""

from __future__ import annotations

import json

import typer

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
    from sbrflow.tasks.intake import add_source, shown_url

    row, created = add_source(name, folder=folder, url=url, token_env=token_env, taxes=taxes)
    typer.echo(f"{'added' if created else 'updated'} source {row.name} ({row.kind.value}: "
               f"{shown_url(row.url) or row.folder})")


@sources_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the source packages, their kind, where they are, and their cursor."""
    from sbrflow.tasks.returns_reads import list_sources

    rows = list_sources()
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
    from sbrflow.tasks.returns_reads import disable_source

    disable_source(name)
    typer.echo(f"disabled source {name}")
