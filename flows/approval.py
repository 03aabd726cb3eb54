"""Flow `request-approvals`: an approval request for every case with its client that has none for its document."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from sbrflow.flows.outcome import fails_cleanly, run_name, today
from sbrflow.flows.report import LISTED, named
from sbrflow.tasks.approval import request_pending_approvals
from sbrflow.tasks.cases import read_case_labels


@task(name="request-pending-approvals")
def _request_pending() -> dict:
    return request_pending_approvals()


@flow(name="request-approvals", flow_run_name=run_name("request-approvals", default=today))
@fails_cleanly
def request_approvals() -> dict:
    """Make the approval request (link and message) for every case with_client that has none for its current document.

    Cases whose client has no recipient (no contact with the template's function, or no valid e-mail)
    stay with_client with the reason `no_recipient`. Information-only requests move the case on to approved.
    """
    summary = _request_pending()
    no_recipient = summary.pop("no_recipient_cases", [])
    labels = named(read_case_labels(no_recipient, LISTED), len(no_recipient), "sbrflow approvals list")
    create_table_artifact(
        key="request-approvals",
        table=[{"outcome": k, "count": v, "clients": labels if k == "blocked_no_recipient" else ""}
               for k, v in summary.items()],
        description="Approval requests made in this run; blocked_no_recipient: the client has no contact to ask",
    )
    return summary
