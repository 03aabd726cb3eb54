"""Planning flows: plan-periods (daily), bulk-start (the office's bulk action), rerun-client (one client)."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from sbrflow.domain.enums import Product, Role
from sbrflow.flows.matching import match_returns
from sbrflow.flows.outcome import fails_cleanly, run_name, today
from sbrflow.flows.report import named
from sbrflow.tasks.planning import bulk_start_task, plan_periods_task, rerun_client_task

_COUNTS = ("created", "existed", "blocked", "started", "unblocked", "reblocked")


def _table(summary: dict) -> list[dict]:
    """Per product and period: the counts in columns, the blocked clients named; then one row of totals."""
    table = []
    for row in summary["rows"]:
        command = f"sbrflow cases list --state blocked --product {row['product']} --period {row['period']}"
        table.append({"product": row["product"], "period": row["period"],
                      # unblocked / reblocked are counted over the whole run: in the total row
                      **{k: row.get(k, "") for k in _COUNTS}, "reasons": row["reasons"],
                      "blocked_clients": named(row.get("blocked_clients", []), row.get("blocked_total"), command)})
    totals = summary["totals"]
    table.append({"product": "total", "period": "", **{k: totals.get(k, 0) for k in _COUNTS}, "reasons": "",
                  "blocked_clients": ""})
    return table


def publish(key: str, summary: dict, what: str) -> None:
    """Publish a run's table artifact: per product and period, created / existed / blocked with reasons and clients."""
    totals = ", ".join(f"{k} {v}" for k, v in summary["totals"].items())
    create_table_artifact(key=key, table=_table(summary),
                          description=f"{what} (run date {summary['run_date']}): {totals}")
    if summary.get("would_create") is not None:
        create_table_artifact(key=f"{key}-dry-run", table=summary["would_create"],
                              description="What bulk-start would create or start (first 500)")
    if summary.get("unsupported"):
        get_run_logger().warning("subscriptions with a frequency that has no return, not planned: %s",
                                 ", ".join(summary["unsupported"]))


@flow(name="plan-periods", flow_run_name=run_name("plan", "run_date", default=today))
@fails_cleanly
def plan_periods(run_date: date | None = None) -> dict:
    """Make sure every active client has a case for every period of its subscriptions that ended in the horizon.

    Clients that are not ready get their cases blocked, with the reasons; fixed clients are unblocked.
    Safe to run again: a second run creates and changes nothing. A backfill is a run with an earlier date.

    Args:
        run_date: Plan the periods that ended on or before this day (default: today), within the planning
            horizon (SBRFLOW_PLANNING_HORIZON_MONTHS, default 12 months back).
    """
    run_date = run_date or date.today()
    summary = plan_periods_task(run_date)
    publish("plan-periods", summary, "Planned cases per product and period")
    get_run_logger().info("planned for %s: %s", run_date, summary["totals"])
    return summary


@flow(name="bulk-start", flow_run_name=run_name("bulk-start", "product", "period_label"))
@fails_cleanly
def bulk_start(
    product: Product,
    period_label: str | int,
    client_numbers: list[str | int] | None = None,
    member: str | None = None,
    role: Role | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> dict:
    """Create and start the cases of one product and period for a selection of clients (bulk action).

    Args:
        product: The product whose workflows to start, e.g. vat_return or income_tax.
        period_label: The period, e.g. 2026-03, 2026-Q1, 2026-Q1-FEB, 2026-P04 or 2026 (a number is read as text).
        client_numbers: Only these clients (client numbers, 1002 or "1002"); default: every client taking it.
        member: Only clients where this team member (code) holds `role`, or any role when no role is given.
        role: The role `member` must hold for the client and product.
        dry_run: Only list what would be created or started; change nothing.
        force: Start even when the period has not ended yet or the selection holds no client.
    """
    period_label = str(period_label)
    numbers = None if client_numbers is None else [str(number) for number in client_numbers]
    summary = bulk_start_task(date.today(), product, period_label, numbers, member, role, dry_run, force)
    publish("bulk-start", summary, f"Bulk start of {Product(product).value} {period_label}"
            + (" (dry run)" if dry_run else ""))
    return summary


@flow(name="rerun-client", flow_run_name=run_name("rerun", "client_number", "product", "period_label"))
@fails_cleanly
def rerun_client(
    client_number: str | int, product: Product | None = None, period_label: str | int | None = None
) -> dict:
    """Re-plan one client after a fix in the CRM: create missing cases, block or unblock them.

    Args:
        client_number: The client's number (1002 or "1002": typed as a number it is read as that text).
        product: Only this product; default: every product the client takes.
        period_label: Only this period (also outside the planning horizon), e.g. 2026-Q1; default: the horizon.
    """
    # `prefect deployment run -p client_number=1002` sends JSON: the number 1002 means the text "1002".
    client_number = str(client_number)
    period_label = None if period_label is None else str(period_label)
    summary = rerun_client_task(date.today(), client_number, product, period_label)
    publish("rerun-client", summary, f"Re-plan of client {client_number}")
    create_table_artifact(
        key="rerun-client-cases",
        table=summary["cases"] or [{"product": "-", "period": "-", "state": "(no case in the scope)",
                                    "blocked_reasons": ""}],
        description=f"Each case of client {client_number} after the rerun, with its state "
                    f"(`sbrflow cases list --client {client_number}`)")
    # A case planned just now may be what an unmatched return of this client was waiting for
    # (reason no_case): re-match. The pass is set-based over the whole queue, so one call does it.
    summary["matching"] = match_returns()
    return summary
