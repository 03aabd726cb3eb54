"""`sbrflow work list`, `sbrflow case show|tick|untick|complete|reassign|send-back`, `sbrflow route`.

Thin: each command calls one function of tasks/routing.py and prints. A refused action is a
RoutingRefused (exit 1, one line); a case, member or checkpoint that does not exist is NotFound (exit 2).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

work_app = typer.Typer(help="A team member's work: the open stages they may act on.", no_args_is_help=True)
case_app = typer.Typer(help="One case: show it, tick checkpoints, complete, reassign or send back a stage.",
                       no_args_is_help=True)

Member = Annotated[str, typer.Option("--member", help="Your team member code.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _done(result: dict[str, Any]) -> None:
    stage = f" (stage {result['current_stage']})" if result["current_stage"] else ""
    typer.echo(f"case {result['case_id']}: {result['state']}{stage} — {', '.join(result['events'])}")


@work_app.command("list")
def work_list(member: Member, as_json: AsJson = False) -> None:
    """The open stages MEMBER may act on, most urgent effective deadline first; then their follow-ups due.

    --json: the stage items exactly as GET /api/work gives them, then one item per follow-up due
    (open, dated today or earlier), told apart by `"kind": "follow_up"`.
    """
    from sbrflow.cli.crm_people import follow_up_line
    from sbrflow.tasks.crm_followups import follow_ups_due
    from sbrflow.tasks.routing import work_list as query

    items = query(member)
    follow_ups = follow_ups_due(member, _today())
    if as_json:
        typer.echo(json.dumps(items + follow_ups, indent=2))
        return
    if not items and not follow_ups:
        typer.echo(f"nothing open for {member}")
    for i in items:
        typer.echo(f"{i['deadline_effective'] or '-':10}  case {i['case_id']:>7}  {i['client_number']:>8} "
                   f"{i['client_name'][:30]:30}  {i['product']:15} {i['period_label']:12} {i['stage']:14} "
                   f"{i['assignee'] or '-':8} {i['checkpoints_open']} mandatory open")
    if follow_ups:
        typer.echo(f"follow-ups due ({len(follow_ups)}):")
        for f in follow_ups:
            typer.echo("  " + follow_up_line(f))


def _today():
    """Today in the office's time zone (a follow-up is due from the start of its day there)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Amsterdam")).date()


@case_app.command("show")
def show(case_id: int, as_json: AsJson = False) -> None:
    """The case, its stages and checkpoints, its current document and its history."""
    from sbrflow.tasks.routing import show_case

    case = show_case(case_id)
    if as_json:
        typer.echo(json.dumps(case, indent=2))
        return
    typer.echo(f"case {case['id']}: client {case['client_number']} {case['product']} {case['period_label']} — "
               f"{case['state']}" + (f" in {case['current_stage']}" if case["current_stage"] else "")
               + (f" (due {case['deadline_effective']})" if case["deadline_effective"] else ""))
    for reason in case["blocked_reasons"]:
        typer.echo(f"  blocked: {reason.get('code')}: {reason.get('message')}")
    if case["document"]:
        d = case["document"]
        typer.echo(f"  document {d['sha256'][:12]}… amount due {d['amount_due']} "
                   f"payment reference {d['payment_reference']}")
    for stage in case["stages"]:
        typer.echo(f"  [{stage['state']:7}] {stage['code']} ({stage['role']}, {stage['assignee'] or 'nobody'})")
        for c in stage["checkpoints"]:
            mark = "x" if c["ticked_by"] else " "
            typer.echo(f"      [{mark}] {c['position']}. {c['text']}" + (" *" if c["mandatory"] else "")
                       + (f" — {c['ticked_by']}" if c["ticked_by"] else ""))
    for e in case["history"]:
        typer.echo(f"  {e['at']} {e['actor']}: {e['action']} {e['from'] or ''}→{e['to'] or ''}")


@case_app.command("tick")
def tick(case_id: int, position: int, member: Member) -> None:
    """Tick checkpoint POSITION (1-based) of the current stage."""
    from sbrflow.tasks.routing import tick_checkpoint

    _done(tick_checkpoint(case_id, position, member))


@case_app.command("untick")
def untick(case_id: int, position: int, member: Member) -> None:
    """Untick checkpoint POSITION (1-based) of the current stage."""
    from sbrflow.tasks.routing import untick_checkpoint

    _done(untick_checkpoint(case_id, position, member))


@case_app.command("complete")
def complete(case_id: int, member: Member) -> None:
    """Complete the current stage (every mandatory checkpoint must be ticked)."""
    from sbrflow.tasks.routing import complete_current_stage

    _done(complete_current_stage(case_id, member))


@case_app.command("reassign")
def reassign(
    case_id: int,
    to: Annotated[str, typer.Option("--to", help="The member who takes the stage.")],
    by: Annotated[str, typer.Option("--by", help="Your team member code.")],
    stage: Annotated[str | None, typer.Option("--stage", help="A stage code (default: the current one).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Also to a member without the stage's role.")] = False,
) -> None:
    """Give a stage to another active member (recorded, with the reason)."""
    from sbrflow.tasks.routing import reassign_stage

    _done(reassign_stage(case_id, to, by, stage=stage, reason=reason, force=force))


@case_app.command("send-back")
def send_back(
    case_id: int,
    to_stage: Annotated[str, typer.Option("--to-stage", help="An earlier stage code.")],
    by: Annotated[str, typer.Option("--by", help="Your team member code.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (mandatory, recorded).")],
) -> None:
    """Send the case back to an earlier stage; its checkpoints stay ticked."""
    from sbrflow.tasks.routing import send_case_back

    _done(send_case_back(case_id, to_stage, by, reason))


def route(as_json: AsJson = False) -> None:
    """Run route-cases now: matched returns into their first stage, role_missing blocks retried."""
    from sbrflow.flows.routing import route_cases

    summary = route_cases()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"route-cases: {summary['considered']} considered, {summary['moved']} moved, "
               f"{summary['restarted']} restarted, {summary['unblocked']} unblocked, "
               f"{summary['blocked'] + summary['still_blocked']} blocked")
    for row in summary["rows"]:
        if row["blocked"]:
            typer.echo(f"  blocked in {row['product']}/{row['stage']} ({row['blocked_reason']}): "
                       + ", ".join(sorted(set(row["blocked_clients"]))))
