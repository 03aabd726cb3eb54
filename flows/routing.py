"""Flow `route-cases`: move every case whose conditions are met into (or on through) its stages."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_table_artifact

from sbrflow.flows.outcome import fails_cleanly, run_name, today
from sbrflow.flows.report import named
from sbrflow.tasks.routing import route_pending_cases


def _table(summary: dict) -> list[dict[str, object]]:
    """Per product × stage: cases moved in, blocked (with the reason) and the blocked clients' numbers."""
    rows = [{
        "product": row["product"], "stage": row["stage"], "moved_in": row["moved_in"], "restarted": "",
        "unblocked": "", "blocked": row["blocked"], "blocked_reason": row["blocked_reason"] or "",
        "blocked_clients": named(sorted(set(row["blocked_clients"])), None,
                                 f"sbrflow cases list --state blocked --product {row['product']}"),
    } for row in summary["rows"]]
    # The pass's totals in the same columns (restarted and unblocked are counted over the whole pass).
    rows.append({"product": "total", "stage": "", "moved_in": summary.get("moved", 0),
                 "restarted": summary.get("restarted", 0), "unblocked": summary.get("unblocked", 0),
                 "blocked": summary.get("blocked", 0) + summary.get("still_blocked", 0), "blocked_reason": "",
                 "blocked_clients": ""})
    return rows


@flow(name="route-cases", flow_run_name=run_name("route", default=today))
@fails_cleanly
def route_cases() -> dict:
    """One set-based pass: return_received cases into their first stage; role_missing blocks retried.

    Runs at the end of every match-returns (so a poll takes a return to a team member's work list,
    and rerun-client's matching too), on demand (`sbrflow route`) and every 5 minutes. Safe to run
    from two workers at once on PostgreSQL (the cases it moves are claimed FOR UPDATE SKIP LOCKED).
    """
    summary = route_pending_cases()
    create_table_artifact(
        key="route-cases", table=_table(summary),
        description=(f"Routing pass: {summary['considered']} case(s) considered, {summary['moved']} moved into "
                     f"their first stage, {summary['restarted']} restarted, {summary['unblocked']} unblocked, "
                     f"{summary['blocked'] + summary['still_blocked']} blocked"),
    )
    return summary
