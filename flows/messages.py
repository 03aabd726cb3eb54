"""Flows `send-messages` (the outbox over SMTP, every minute) and `send-reminders` (daily, 08:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from sbrflow.flows.outcome import fails_cleanly, run_name, today
from sbrflow.flows.report import LISTED, named
from sbrflow.tasks.messages import read_failed_since
from sbrflow.tasks.reminders import queue_reminders
from sbrflow.tasks.sending import send_queued_messages


@flow(name="send-messages", flow_run_name=run_name("send-messages", default=today))
@fails_cleanly
def send_messages(batch_size: int | None = None) -> dict[str, int]:
    """Send every queued message that is due, in batches over one SMTP connection each.

    A message whose reason has gone (the client approved meanwhile) is cancelled, not sent. A 4xx answer
    or a lost connection: the message waits (1 min, doubling) and is tried again by a later run; a 5xx
    answer: the message is failed with the server's answer and lands in the work list of the case's
    relatiebeheerder (`sbrflow messages list --state failed`).
    """
    started = datetime.now(UTC)
    summary = send_queued_messages(batch_size)
    failed = ("", 0)
    if summary.get("failed"):
        failed = read_failed_since(started, LISTED)
    create_table_artifact(
        key="send-messages",
        table=[{"outcome": k, "count": v,
                "clients": named(failed[0], failed[1], "sbrflow messages list --state failed") if k == "failed" else ""}
               for k, v in summary.items()],
        description="Messages sent in this run; a failed one is in its relatiebeheerder's work list")
    return summary


@flow(name="send-reminders", flow_run_name=run_name("reminders", "run_date", default=today))
@fails_cleanly
def send_reminders(run_date: date | None = None, dry_run: bool = False, send: bool = True) -> dict:
    """Queue the reminders due today, then send them: client reminders for approvals not decided,
    one digest per team member with stages open too long, one escalation per case near its deadline.

    Running it again on the same date queues nothing more. The table artifact `send-reminders` lists
    reminders and escalations per product and period with the client numbers.

    Args:
        run_date: The day to remind for (default: today); an earlier date is a catch-up.
        dry_run: Only count what would be queued; change nothing.
        send: Run send-messages at the end (default yes).
    """
    run_date = run_date or date.today()
    summary = queue_reminders(run_date, dry_run)
    totals = (f"client reminders {summary['client_reminders']}, escalations {summary['escalations']}, "
              f"digests {summary['digests']} ({summary['digest_stages']} stages), queued {summary['queued']}, "
              f"cancelled {summary['cancelled']}, without recipient {summary['without_recipient']}")
    create_table_artifact(key="send-reminders", table=summary["table"] or [{"product": "-", "period": "-",
                                                                           "kind": "-", "count": 0, "clients": ""}],
                          description=f"Reminders {'(dry run) ' if dry_run else ''}for {run_date}: {totals}")
    get_run_logger().info("reminders for %s: %s", run_date, totals)
    if send and not dry_run and summary["queued"]:
        summary["sending"] = send_messages()
    return summary
