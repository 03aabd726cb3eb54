"""Flow `match-returns`: tie every received return to its client and open case, or queue it with the reason."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_table_artifact

from sbrflow.flows.outcome import fails_cleanly, run_name
from sbrflow.flows.outcome import today as _today
from sbrflow.flows.report import named
from sbrflow.flows.routing import route_cases
from sbrflow.tasks.matching import match_pending_returns


def _table(summary: dict) -> list[dict[str, object]]:
    """One row per outcome with its count; each unmatched reason names its clients (or returns)."""
    rows: list[dict[str, object]] = [{"outcome": "matched", "count": summary["matched"], "clients": ""}]
    named_by_code = summary.get("unmatched_named", {})
    rows += [{"outcome": f"unmatched: {code}", "count": n,
              "clients": named(named_by_code.get(code, []), n, f"sbrflow returns unmatched --reason {code}")}
             for code, n in summary["unmatched"].items()]
    rows += [{"outcome": "corrections (replaced a case's document)", "count": summary["corrections"], "clients": ""},
             {"outcome": "cases now return_received", "count": summary["cases_return_received"], "clients": ""}]
    return rows


@flow(name="match-returns", flow_run_name=run_name("match", "today", default=_today))
@fails_cleanly
def match_returns(today: date | None = None) -> dict:
    """Match every received return not matched yet (one set-based pass); unmatched ones wait with a reason.

    Runs after every poll-returns and after a CRM import, and on demand (`sbrflow returns match`);
    ends with a route-cases pass.
    `today` only decides whether a period without a case lies in the future; default: today.
    """
    summary = match_pending_returns(today)
    create_table_artifact(
        key="match-returns",
        table=_table(summary),
        description=f"Matching pass: {summary['considered']} return(s) considered",
    )
    # A poll (or a CRM fix, or rerun-client) takes a return all the way to a team member's work list.
    summary["routing"] = route_cases()
    return summary
