"""`sbrflow crm search | query | queries | define | properties | set | clear | risk | risk-history`.

Thin: each command calls one task-layer function (tasks/crm_search.py, crm_query.py, crm_properties.py,
crm_risk.py) and prints. Not found: exit 2; any other error a person can act on: one line, exit 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sbrflow.cli.errors import domain_errors as _errors

WHERE_HELP = (
    "A filter PROPERTY OPERATOR VALUE; repeat for more (all must hold). Operators: = is, != is not, "
    "~ contains, ? is empty (no value: 'email?'), !? is not empty, < before/below, > after/above. "
    "Client properties: number, name, status, type, legal_form, product, frequency (with product=: that "
    "product's), holder (team code), role:ROLE (e.g. role:administratie=AN), city, risk (low/high/unacceptable), "
    "work_stop, created (date). Person properties: function, person_name, contact_number, email, has_email, "
    "ubo, primary, id_expires (date). Custom: prop:NAME (e.g. 'prop:Branche=Bouw'), indicator=NAME. "
    "Dates YYYY-MM-DD; yes/no as ja/nee."
)




def _print(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def search_command(
    text: Annotated[str, typer.Argument(help="Words of a client's name or number, a person's name, e-mail or "
                                             "contact number (case and accents do not matter).")],
    limit: Annotated[int, typer.Option("--limit", help="At most this many hits.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find clients and persons, best first (the exact number first)."""
    from sbrflow.tasks.crm_search import search

    hits = search(text, limit=limit)
    if as_json:
        _print(hits)
        return
    for hit in hits:
        if hit["kind"] == "client":
            typer.echo(f"client  {hit['number']:<12} {hit['name']}  ({hit['status_label']})")
        else:
            clients = f"  [{', '.join(hit['clients'])}]" if hit["clients"] else ""
            typer.echo(f"person  {hit['number']:<12} {hit['name']}  {hit['email'] or ''}{clients}")
    typer.echo(f"{len(hits)} found")


def query_command(
    where: Annotated[list[str] | None, typer.Option("--where", help=WHERE_HELP)] = None,
    persons: Annotated[bool, typer.Option("--persons", help="List contact persons (one row per person × client).")] = False,
    clients: Annotated[bool, typer.Option("--clients", help="List clients (the default).")] = False,
    export: Annotated[Path | None, typer.Option("--export", help="Write the rows to FILE.xlsx or FILE.csv "
                                                                  "(no BSN, ever).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    save: Annotated[str | None, typer.Option("--save", help="Save these filters under NAME (for --by).")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Run the saved query NAME (yours, or one shared).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Your team member code (with --save and --run).")] = None,
    shared: Annotated[bool, typer.Option("--shared", help="With --save: the whole team may run it.")] = False,
) -> None:
    """Select clients or persons with filters (AND); print, export, save or run a saved query."""
    from sbrflow.tasks import crm_query

    if persons and clients:
        typer.echo("error: give --persons or --clients, not both", err=True)
        raise typer.Exit(1)
    if (save or run) and not by:
        typer.echo("error: --save and --run need --by CODE: saved queries belong to a team member", err=True)
        raise typer.Exit(1)
    if run and (where or save):
        typer.echo("error: --run runs a saved query as saved; give no --where or --save with it", err=True)
        raise typer.Exit(1)
    subject = "persons" if persons else "clients"
    with _errors():
        if run:
            result = crm_query.run_saved(run, by=by, export=export)
        elif not where:
            typer.echo("error: give at least one --where filter, or --run NAME; see --help", err=True)
            raise typer.Exit(1)
        else:
            if save:
                crm_query.save_query(save, where, by=by, subject=subject, shared=shared)
            result = (crm_query.export_query(where, export, subject=subject) if export
                      else crm_query.run_query(where, subject=subject))
    if as_json:
        _print(result["rows"])
        return
    if save:
        typer.echo(f"saved query {save!r} for {by.upper()} ({'shared' if shared else 'private'})")
    if not export:
        for row in result["rows"]:
            if result["subject"] == "clients":
                typer.echo(f"{row['client_number']:<10} {row['name']}  {row['status']}  {row['products']}")
            else:
                typer.echo(f"{row['contact_number']:<10} {row['person_name']}  {row['email'] or '-'}  "
                           f"{row['function'] or '-'} at {row['client_number']} {row['client_name']}")
    typer.echo(f"{result['count']} {result['subject']}" + (f" exported to {export}" if export else ""))


def queries_command(
    by: Annotated[str, typer.Option("--by", help="Your team member code.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List your saved queries and those others shared."""
    from sbrflow.tasks.crm_query import list_saved

    with _errors():
        rows = list_saved(by=by)
    if as_json:
        _print(rows)
        return
    for q in rows:
        typer.echo(f"{q['name']:<24} {q['owner']:<6} {'shared' if q['shared'] else 'private':<8} {q['subject']:<8} "
                   + " AND ".join(q["filters"]))


def define_command(
    name: Annotated[str, typer.Argument(help="The property's name; also the workbook column that imports it.")],
    kind: Annotated[str, typer.Option("--type", help="text, number, date, choice or indicator.")],
    by: Annotated[str, typer.Option("--by", help="Code of the admin defining it.")],
    target: Annotated[str, typer.Option("--for", help="client or person.")] = "client",
    choices: Annotated[str | None, typer.Option("--choices", help="For choice: the choices, comma-separated.")] = None,
) -> None:
    """Define a custom property or an indicator (admins only)."""
    from sbrflow.tasks.crm_properties import define_property

    with _errors():
        result = define_property(name, kind=kind, target=target, by=by,
                                 choices=(choices or "").split(",") if choices else ())
    extra = f": {', '.join(result['choices'])}" if result["choices"] else ""
    typer.echo(f"defined {result['kind']} {result['name']!r} for {result['target']}s{extra}")


def properties_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the custom properties and indicators."""
    from sbrflow.tasks.crm_properties import list_properties

    rows = list_properties()
    if as_json:
        _print(rows)
        return
    for p in rows:
        typer.echo(f"{p['name']:<24} {p['kind']:<10} {p['target']:<7} {', '.join(p['choices'])}")


def set_command(
    number: Annotated[str, typer.Argument(help="Client number, or contact number for a person's property.")],
    name: Annotated[str, typer.Argument(help="The property or indicator.")],
    by: Annotated[str, typer.Option("--by", help="Your team member code.")],
    value: Annotated[str | None, typer.Argument(help="The value (none for an indicator).")] = None,
) -> None:
    """Set a custom property's value, or an indicator, on a client or person."""
    from sbrflow.tasks.crm_properties import set_value

    with _errors():
        result = set_value(number, name, value, by=by)
    shown = "" if result["value"] is None else f" = {result['value']}"
    typer.echo(f"{number}: {result['property']}{shown}")


def clear_command(
    number: Annotated[str, typer.Argument(help="Client number, or contact number for a person's property.")],
    name: Annotated[str, typer.Argument(help="The property or indicator.")],
    by: Annotated[str, typer.Option("--by", help="Your team member code.")],
) -> None:
    """Clear a custom property's value, or an indicator, on a client or person."""
    from sbrflow.tasks.crm_properties import clear_value

    with _errors():
        result = clear_value(number, name, by=by)
    typer.echo(f"{number}: {result['property']} {'cleared' if result['cleared'] else 'was not set'}")


def risk_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    risk_class: Annotated[str, typer.Argument(metavar="CLASS", help="low, high or unacceptable.")],
    motivation: Annotated[str, typer.Option("--motivation", help="Why this class (kept in the history).")],
    by: Annotated[str, typer.Option("--by", help="Code of the team member classifying.")],
) -> None:
    """Classify a client's Wwft risk; unacceptable blocks acceptance and planning (risk_unacceptable)."""
    from sbrflow.tasks.crm_risk import set_risk

    with _errors():
        result = set_risk(client, risk_class, motivation=motivation, by=by)
    typer.echo(f"client {client}: risk {result['from'] or '-'} → {result['to']} (by {result['by']})")


def risk_history_command(
    client: Annotated[str, typer.Argument(help="Client number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A client's risk class and every change: who, when, from, to, motivation."""
    from sbrflow.tasks.crm_risk import risk_history

    with _errors():
        report = risk_history(client)
    if as_json:
        _print(report)
        return
    typer.echo(f"client {client}: risk {report['risk_class'] or 'not classified'}")
    for h in report["history"]:
        typer.echo(f"{h['at']} {h['by']}: {h['from'] or '-'} → {h['to']} — {h['motivation']}")


def register(crm_app: typer.Typer) -> None:
    """Add these commands to `sbrflow crm`."""
    crm_app.command("search")(search_command)
    crm_app.command("query", help=f"Select clients or persons with filters (AND); print, export, save or run "
                                  f"a saved query. {WHERE_HELP}")(query_command)
    crm_app.command("queries")(queries_command)
    crm_app.command("define")(define_command)
    crm_app.command("properties")(properties_command)
    crm_app.command("set")(set_command)
    crm_app.command("clear")(clear_command)
    crm_app.command("risk")(risk_command)
    crm_app.command("risk-history")(risk_history_command)
