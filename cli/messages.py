"""`sbrflow messages list | send` (the outbox) and `sbrflow reminders` (client reminders, staff digests,
escalations)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

messages_app = typer.Typer(help="The outbox: messages to clients and team members.", no_args_is_help=True)

_STATES = ("queued", "sent", "failed", "cancelled")


@messages_app.command("list")
def list_(
    state: Annotated[str | None, typer.Option("--state", help="Only this state: " + ", ".join(_STATES) + ".")] = None,
    case: Annotated[int | None, typer.Option("--case", help="Only the messages of this case (id).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many (newest first).")] = None,
    member: Annotated[str | None, typer.Option(
        "--work-list", help="Only the failed messages in this team member's work list (code).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """The outbox, newest first: reason, state, recipient, subject, attempts and the last error."""
    from sbrflow.domain.errors import SbrflowError
    from sbrflow.domain.messages import MessageState
    from sbrflow.tasks.messages import list_messages

    if state is not None and state not in _STATES:
        raise SbrflowError(f"--state {state!r} is not a message state; use one of: {', '.join(_STATES)}")
    rows = list_messages(state=MessageState(state) if state else None, case_id=case, limit=limit,
                         work_list_of=member)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no messages")
    for r in rows:
        line = (f"{r['id']:>6}  {r['state']:<9} {r['reason']:<17} case {r['case_id'] or '-':<6} "
                f"{r['recipient']:<30} {r['subject']}")
        if r["last_error"]:
            line += f"  [{r['attempts']} attempt(s): {r['last_error']}]"
        if r["work_list_of"]:
            line += f"  (work list of {r['work_list_of']})"
        typer.echo(line)


@messages_app.command("send")
def send(
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Messages per SMTP connection.")] = None,
) -> None:
    """Send the queued messages that are due now (runs the send-messages flow)."""
    from sbrflow.flows.messages import send_messages

    summary = send_messages(batch_size=batch_size)
    typer.echo(", ".join(f"{k} {v}" for k, v in summary.items()))


# Registered without a name in main.py: `sbrflow reminders` is a top-level command.
reminders_app = typer.Typer(no_args_is_help=True)


@reminders_app.command("reminders")
def reminders(
    day: Annotated[str | None, typer.Option("--date", help="Run date YYYY-MM-DD (default: today).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be queued; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run send-reminders: client reminders, staff digests and escalations due on the date, then send them."""
    from datetime import date

    from sbrflow.domain.errors import SbrflowError
    from sbrflow.flows.messages import send_reminders

    try:
        run_date = date.fromisoformat(day) if day else None
    except ValueError:
        raise SbrflowError(f"--date {day!r} is not a date; use YYYY-MM-DD") from None
    summary = send_reminders(run_date=run_date, dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{'product':<16} {'period':<12} {'kind':<16} {'count':>5}  clients")
    for r in summary["table"]:
        typer.echo(f"{r['product']:<16} {r['period']:<12} {r['kind']:<16} {r['count']:>5}  {r['clients']}")
    typer.echo(f"{'would queue' if dry_run else 'queued'} {summary['due'] if dry_run else summary['queued']}: "
               f"client reminders {summary['client_reminders']}, escalations {summary['escalations']}, "
               f"digests {summary['digests']} ({summary['digest_stages']} stages); cancelled {summary['cancelled']}; "
               f"without recipient {summary['without_recipient']}")
    if "sending" in summary:
        typer.echo("sent: " + ", ".join(f"{k} {v}" for k, v in summary["sending"].items()))


def echo_demo_messages(limit: int = 5) -> None:
    """The demo's sent messages as an operator sees them in `sbrflow messages list` (for the demo summary)."""
    from sbrflow.domain.messages import MessageState
    from sbrflow.tasks.messages import list_messages

    for row in reversed(list_messages(state=MessageState.SENT, limit=limit)):
        typer.echo(f"  sent message {row['id']}: {row['reason']} to {row['recipient']} — {row['subject']}")
