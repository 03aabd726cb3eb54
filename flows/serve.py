"""`sbrflow serve`: run the deployments in this process (no work pool needed), with their schedules.

The same deployments are declared in prefect.yaml for a Prefect server with a process work pool;
this is the one-command alternative for a single machine. Needs PREFECT_API_URL (a Prefect server).
"""

from __future__ import annotations

from datetime import timedelta

from prefect import serve
from prefect.schedules import Cron, Interval

from sbrflow.flows.intake import poll_returns
from sbrflow.flows.matching import match_returns
from sbrflow.flows.planning import bulk_start, plan_periods, rerun_client
from sbrflow.flows.submission import follow_submissions, submit_returns

PLAN_PERIODS_CRON = "0 6 * * *"  # daily, before the office starts; a day's delay costs nothing
TIMEZONE = "Europe/Amsterdam"
POLL_RETURNS_MINUTES = 10  # a source's cursor makes each poll cheap; returns show up within minutes
FOLLOW_SUBMISSIONS_MINUTES = 5  # Digipoort's statuses come within minutes; 420s are retried for 72 hours


def deployments() -> list:
    """The deployments `sbrflow serve` runs: plan-periods on a daily cron, the operator's tools on demand."""
    return [
        plan_periods.to_deployment(
            name="plan-periods", schedule=Cron(PLAN_PERIODS_CRON, timezone=TIMEZONE), tags=["planning"],
            description="Daily: a case for every active client × product × period that ended.",
        ),
        bulk_start.to_deployment(
            name="bulk-start", tags=["planning"],
            description="Bulk action: start one product's workflows for one period and a selection of clients.",
        ),
        rerun_client.to_deployment(
            name="rerun-client", tags=["planning", "operator"],
            description="Re-plan one client after a CRM fix.",
        ),
        poll_returns.to_deployment(
            name="poll-returns", schedule=Interval(timedelta(minutes=POLL_RETURNS_MINUTES)), tags=["intake"],
            description="Every 10 minutes: new SBR returns from every enabled source package, each stored once.",
        ),
        match_returns.to_deployment(
            name="match-returns", tags=["matching", "operator"],
            description="On demand: match every received return not matched yet (also runs after each poll).",
        ),
        submit_returns.to_deployment(
            name="submit-returns", tags=["submission"],
            description="On demand: submit every approved return to Digipoort once, then follow the deliveries.",
        ),
        follow_submissions.to_deployment(
            name="follow-submissions", schedule=Interval(timedelta(minutes=FOLLOW_SUBMISSIONS_MINUTES)),
            tags=["submission"], description="Every 5 minutes: new Digipoort statuses of every open delivery.",
        ),
    ]


def serve_all(limit: int | None = None) -> None:
    """Serve every deployment until interrupted."""
    serve(*deployments(), limit=limit)
