"""The end-to-end demo: everything the pipeline has so far, as real Prefect flow runs."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from sbrflow.flows.crm import import_crm
from sbrflow.flows.intake import poll_returns
from sbrflow.flows.outcome import fails_cleanly, run_name, today
from sbrflow.flows.planning import plan_periods
from sbrflow.integrations.simulator import SourceSimulator, returns_catalogue
from sbrflow.tasks.approval_demo import demo_approvals
from sbrflow.tasks.demo import (
    complete_demo_office,
    demo_returns,
    register_demo_source,
    summarise_office,
    walk_demo_cases,
    write_demo_workbook,
)
from sbrflow.tasks.returns_reads import disable_source

# The demo plans as of a fixed day, so its output (and the periods later demo steps use) is stable.
DEMO_RUN_DATE = date(2026, 11, 23)
# Reminders run two days later: the October returns are due Monday 30 November, within the escalation window.
DEMO_REMINDER_DATE = date(2026, 11, 25)


@flow(name="demo-office", flow_run_name=run_name("demo-office", default=today))
@fails_cleanly
def demo_office() -> dict[str, dict[str, int]]:
    """Load the demo office and report what it holds; safe to run again (it only updates)."""
    # The office comes in the way a real one does: as a CRM workbook through the import-crm flow.
    imported = import_crm(write_demo_workbook())
    complete_demo_office()
    loaded = {kind: sum(counts.values()) - counts["rejected"] for kind, counts in imported["counts"].items()}
    loaded["writes"] = imported["writes"]
    summary = summarise_office()
    create_markdown_artifact(
        key="demo-office-summary",
        markdown="\n".join(["| what | count |", "|---|---|"] + [f"| {k} | {v} |" for k, v in summary.items()]),
        description="What the demo office holds after the run",
    )
    planned = plan_periods(run_date=DEMO_RUN_DATE)  # cases for the periods that ended in the last 12 months
    intake, matching = poll_demo_source()  # poll → match-returns → route-cases
    routing = walk_demo_cases()  # one case through every stage to the client, one left in a stage
    # One VAT case waits for its client (link printed), one approved through the page's code path.
    approvals = demo_approvals(keep_in_stage=routing.get("left_in_stage_case"))
    messages = send_demo_messages()  # the approval mails, reminders and escalations, to an in-process SMTP server
    return {"loaded": loaded, "summary": summary, "planning": planned["totals"], "intake": intake,
            "matching": matching, "routing": routing, "approvals": approvals, "messages": messages,
            "submission": submit_demo_case()}


def poll_demo_source() -> tuple[dict[str, int], dict[str, int]]:
    """Serve the demo office's returns from the simulator on a free loopback port and run poll-returns on it.

    poll-returns ends with a match-returns pass; its counts come back as the second dict.
    """
    catalogue = returns_catalogue(demo_returns(DEMO_RUN_DATE), employees=5)
    with SourceSimulator(catalogue) as simulator:  # in-process, stopped when the poll is done
        source = register_demo_source(simulator.url)
        try:
            polled = poll_returns(source=source)
        finally:
            # The simulator's port is gone after this: a source left enabled would fail every later poll.
            disable_source(source)
    matched = polled["matching"]
    matching = {"matched": matched["matched"], "corrections": matched["corrections"],
                **{f"unmatched_{code}": n for code, n in matched["unmatched"].items()}}
    return {key: polled[key] for key in ("new", "duplicate", "rejected")}, matching


def send_demo_messages() -> dict[str, int]:
    """Run send-reminders for the demo's reminder date and deliver the outbox to an SMTP server started
    in this process on a free loopback port (nothing leaves the machine); the mails are in an artifact."""
    from sbrflow.flows.messages import send_reminders
    from sbrflow.integrations.mail.server import LocalSmtpServer
    from sbrflow.tasks.sending import send_queued_messages

    reminders = send_reminders(run_date=DEMO_REMINDER_DATE, send=False)
    with LocalSmtpServer() as server:
        sent = send_queued_messages(smtp_host=server.host, smtp_port=server.port)
        received = [(mail.rcpt_tos[0], mail.subject) for mail in server.received]
    if received:
        create_markdown_artifact(
            key="demo-messages",
            markdown="\n".join(["| to | subject |", "|---|---|"]
                               + [f"| {to} | {subject} |" for to, subject in received]),
            description="What the demo's in-process SMTP server received",
        )
    return {"client_reminders": reminders["client_reminders"], "escalations": reminders["escalations"],
            "digests": reminders["digests"], "queued": reminders["queued"], "sent": sent["sent"],
            "received_by_smtp_server": len(received)}


def submit_demo_case() -> dict[str, int]:
    """Approve one matched VAT return, submit it to the Digipoort simulator (mutual TLS, signed) and follow it."""
    import os
    from pathlib import Path

    from sbrflow.config.settings import get_settings
    from sbrflow.flows.submission import follow_submissions, submit_returns
    from sbrflow.integrations.digipoort.simulator import DigipoortSimulator
    from sbrflow.integrations.digipoort.testpki import make_test_pki
    from sbrflow.tasks.demo_submission import approved_demo_case

    case_id = approved_demo_case()
    if case_id is None:
        return {"approved": 0}
    pki = make_test_pki(Path(get_settings().var_dir) / "digipoort-pki")
    with DigipoortSimulator(pki) as simulator:  # in-process on a free loopback port
        names = {"AANLEVER_URL": simulator.aanlever_url, "STATUS_URL": simulator.status_url,
                 "CERT_FILE": pki.client_cert, "KEY_FILE": pki.client_key, "CA_FILE": pki.ca_cert}
        saved = {n: os.environ.get(f"SBRFLOW_DIGIPOORT_{n}") for n in names}
        os.environ.update({f"SBRFLOW_DIGIPOORT_{n}": str(v) for n, v in names.items()})
        get_settings.cache_clear()
        try:
            submitted = submit_returns()  # claims, sends, and asks the first statuses
            followed = follow_submissions()  # the rest of the chain, up to 500
        finally:
            for n, value in saved.items():
                os.environ.pop(f"SBRFLOW_DIGIPOORT_{n}", None) if value is None else os.environ.__setitem__(
                    f"SBRFLOW_DIGIPOORT_{n}", value)
            get_settings.cache_clear()
    return {"case": case_id, "delivered": submitted.get("delivered", 0),
            "closed": submitted.get("follow", {}).get("closed", 0) + followed.get("closed", 0)}
