"""The `sbrflow` command line: one entry point; each area adds its own sub-commands."""

from __future__ import annotations

import sys

import typer

from sbrflow.cli.approvals import approvals_app, web_app
from sbrflow.cli.crm import crm_app
from sbrflow.cli.crm_people import register as register_crm_people_commands
from sbrflow.cli.crm_query import register as register_crm_query_commands
from sbrflow.cli.crm_records import register as register_crm_record_commands
from sbrflow.cli.db import db_app
from sbrflow.cli.matching import register as register_matching_commands
from sbrflow.cli.messages import echo_demo_messages, messages_app, reminders_app
from sbrflow.cli.periods import periods_app
from sbrflow.cli.planning import planning_app
from sbrflow.cli.returns import returns_app
from sbrflow.cli.routing import case_app, route, work_app
from sbrflow.cli.simulate import simulate_app
from sbrflow.cli.sources import sources_app
from sbrflow.cli.submissions import digipoort_app, register_case_commands, register_simulator, submissions_app
from sbrflow.cli.team import team_app
from sbrflow.domain.errors import ConfigurationError, NotFound, SbrflowError

# Each area of the command line lives in its own module cli/<area>.py and is registered here.

app = typer.Typer(
    name="sbrflow",
    help="Recurring VAT and payroll returns of a Dutch accounting office, run on Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(periods_app, name="periods")
app.add_typer(planning_app)  # plan, bulk-start, rerun, cases
app.add_typer(crm_app, name="crm")
register_crm_record_commands(crm_app)  # crm status | work-stop | document | pseudo-ubo | same-address
register_crm_people_commands(crm_app)  # crm note … | follow-up … | add-person | merge-persons | delete-person
register_crm_query_commands(crm_app)  # crm search | query | queries | define | properties | set | clear | risk…
app.add_typer(returns_app, name="returns")
register_matching_commands(returns_app)  # returns match | unmatched | assign
app.add_typer(sources_app, name="sources")
app.add_typer(simulate_app, name="simulate")
app.add_typer(approvals_app, name="approvals")
app.add_typer(web_app)  # web
app.add_typer(team_app, name="team")
app.add_typer(messages_app, name="messages")
app.add_typer(reminders_app)  # reminders
app.add_typer(work_app, name="work")  # work list
app.add_typer(case_app, name="case")  # case show | tick | untick | complete | reassign | send-back
app.command("route")(route)
register_simulator(simulate_app)  # simulate digipoort
app.add_typer(submissions_app, name="submissions")
app.add_typer(digipoort_app, name="digipoort")
register_case_commands(case_app)  # case close


@app.command("demo")
def demo() -> None:
    """Migrate, load the demo office and run the pipeline end to end; print a summary."""
    from sbrflow.cli.db import upgrade_database
    from sbrflow.flows.demo import demo_office

    upgrade_database()
    result = demo_office()
    typer.echo("\nsbrflow demo — summary")
    approvals = result.pop("approvals", None)
    for section, counts in result.items():
        typer.echo(f"  {section}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    _echo_demo_returns()
    _echo_case_positions()
    if approvals and approvals.get("link"):
        typer.echo(f"  approval link (case {approvals['waiting_case']} waits for its client): {approvals['link']}")
        typer.echo(f"  approved through the page's code path: case {approvals['approved_case']}")
    echo_demo_messages()
    if result.get("submission", {}).get("case"):
        from sbrflow.tasks.demo_submission import demo_case_line

        typer.echo(f"  submitted return: {demo_case_line(result['submission']['case'])}")


def _echo_demo_returns() -> None:
    """One matched return and the unmatched queue with reasons, as an operator would look them up."""
    from sbrflow.tasks.returns_reads import matched_example, unmatched_rows

    example = matched_example()
    if example:
        typer.echo(f"  matched return: {example}")
    for row in unmatched_rows():
        typer.echo(f"  unmatched return {row['id']}: {row['tax']} {row['fiscal_id']} {row['period_start']} — "
                   f"{row['reason_code']}: {row['reason']}")


def _echo_case_positions() -> None:
    """Where each case with a return stands after routing (the demo's last word)."""
    from sbrflow.tasks.routing import where_cases_stand

    typer.echo("  where the cases with a return stand:")
    for c in where_cases_stand():
        stage = f" in {c['stage']} ({c['assignee'] or 'nobody'})" if c["stage"] else ""
        typer.echo(f"    case {c['case_id']}: {c['client_number']} {c['product']} {c['period_label']} — "
                   f"{c['state']}{stage}")


@app.command("serve")
def serve() -> None:
    """Serve the deployments (plan-periods daily, bulk-start, rerun-client) from this process."""
    from sbrflow.flows.serve import serve_all

    serve_all()


def main() -> None:
    """Run the CLI; errors a user can act on end as one line on stderr, not a stack trace."""
    from sbrflow.tasks.shutdown import install_sigterm_handler

    install_sigterm_handler()  # SIGTERM stops a poll cleanly and never leaves Prefect's temporary server behind
    try:
        app()
    except NotFound as exc:  # a case, member or checkpoint that does not exist: named, exit 2
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except SbrflowError as exc:
        if type(exc) is ConfigurationError:  # a setting (SBRFLOW_…) sbrflow cannot use: exit 2, as before
            typer.echo(f"error: {exc}", err=True)
            sys.exit(2)
        # One line, even for errors that list several problems (a template's, a workbook's).
        typer.echo("error: " + "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
