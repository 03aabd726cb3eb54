"""`sbrflow plan`, `bulk-start`, `rerun` (the planning flows) and `sbrflow cases list`."""

from __future__ import annotations

import json
from datetime import date

import typer

from sbrflow.domain.errors import PlanningError
from sbrflow.domain.vocabulary import parse_product, parse_role

# Registered without a name in cli.py: plan, bulk-start and rerun are top-level commands.
planning_app = typer.Typer(no_args_is_help=True)
cases_app = typer.Typer(help="Cases: one per client × product × tax period.", no_args_is_help=True)
planning_app.add_typer(cases_app, name="cases")


def _echo_summary(summary: dict) -> None:
    typer.echo(f"{'product':<16} {'period':<12} {'created':>7} {'existed':>7} {'blocked':>7} {'started':>7}  reasons")
    for r in summary["rows"]:
        typer.echo(f"{r['product']:<16} {r['period']:<12} {r['created']:>7} {r['existed']:>7} {r['blocked']:>7} "
                   f"{r['started']:>7}  {r['reasons']}")
    typer.echo("total: " + ", ".join(f"{k} {v}" for k, v in summary["totals"].items()))
    if summary.get("unsupported"):
        typer.echo("not planned (no such return): " + ", ".join(summary["unsupported"]))


def _run_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise PlanningError(f"--date {text!r} is not a date; use YYYY-MM-DD") from None


@planning_app.command("plan")
def plan(day: str = typer.Option(None, "--date", help="Run date YYYY-MM-DD (default: today).")) -> None:
    """Run plan-periods: a case for every active client × product × period that ended in the horizon."""
    from sbrflow.flows.planning import plan_periods

    _echo_summary(plan_periods(run_date=_run_date(day)))


@planning_app.command("bulk-start")
def bulk_start(
    product: str = typer.Argument(..., help="Product, e.g. vat_return, payroll_return, income_tax."),
    period: str = typer.Argument(..., help="Period label, e.g. 2026-03, 2026-Q1, 2026-Q1-FEB, 2026-P04, 2026."),
    client: list[str] = typer.Option(None, "--client", help="Only this client number (repeatable)."),
    member: str = typer.Option(None, "--member", help="Only clients where this team member (code) holds --role."),
    role: str = typer.Option(None, "--role", help="The role --member holds (default: any role)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be created or started; change nothing."),
    force: bool = typer.Option(False, "--force", help="Start even a period that has not ended, or an empty selection."),
) -> None:
    """Create and start one product's cases for one period and a selection of clients."""
    from sbrflow.flows.planning import bulk_start as bulk_start_flow

    summary = bulk_start_flow(product=parse_product(product), period_label=period, client_numbers=client or None,
                              member=member, role=parse_role(role) if role else None, dry_run=dry_run,
                              force=force)
    _echo_summary(summary)
    for item in summary.get("would_create") or []:
        typer.echo(f"would {item['action']}: {item['client_number']} {item['product']} {item['period']} "
                   f"→ {item['state']}")


@planning_app.command("rerun")
def rerun(
    client_number: str = typer.Argument(..., metavar="CLIENT", help="The client's number."),
    product: str = typer.Option(None, "--product", help="Only this product."),
    period: str = typer.Option(None, "--period", help="Only this period label (also outside the horizon)."),
) -> None:
    """Re-plan one client after a CRM fix: create missing cases, block or unblock them."""
    from sbrflow.flows.planning import rerun_client

    _echo_summary(rerun_client(client_number=client_number, product=parse_product(product) if product else None,
                               period_label=period))


@cases_app.command("list")
def list_cases(
    state: str = typer.Option(None, "--state", help="e.g. blocked, planned, waiting_for_return."),
    product: str = typer.Option(None, "--product", help="e.g. vat_return."),
    period: str = typer.Option(None, "--period", help="Period label, e.g. 2026-Q1."),
    client: str = typer.Option(None, "--client", help="Client number."),
    limit: int = typer.Option(200, "--limit", min=1, help="At most this many cases (newest period first)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
) -> None:
    """List cases with their state and, when blocked, why."""
    from sbrflow.domain.case_states import CaseState
    from sbrflow.tasks.cases import read_cases

    if state is not None and state not in {s.value for s in CaseState}:
        raise PlanningError(f"unknown case state {state!r}; use one of: {', '.join(s.value for s in CaseState)}")
    rows = read_cases(state=state, product=parse_product(product).value if product else None,
                      period_label=period, client_number=client, limit=limit)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        why = "; ".join(x["message"] for x in r["blocked_reasons"] or [])
        if r.get("work_stop") and "werkstop" not in why:
            why = f"werkstop: {r['work_stop']}" + (f"; {why}" if why else "")
        typer.echo(f"{r['id']:>7} {r['client_number']:<10} {r['product']:<16} {r['period_label']:<12} "
                   f"{r['state']:<18} {r['deadline_effective'] or '':<10} {why}")
    typer.echo(f"{len(rows)} case(s)" + (f" (first {limit}; use --limit)" if len(rows) == limit else ""))
