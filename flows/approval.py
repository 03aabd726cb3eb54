"""Flow `request-approvals`: an approval request for every case with its client that has none for its document."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from sbrflow.tasks.approval import request_pending_approvals


@task(name="request-pending-approvals")
def _request_pending() -> dict:
    return request_pending_approvals()


@flow(name="request-approvals")
def request_approvals() -> dict:
    """Make the approval request (link and message) for every case with_client that has none for its current document.

    Cases whose client has no recipient (no contact with the template's function, or no valid e-mail)
    stay with_client with the reason `no_recipient`. Information-only requests move the case on to approved.
    """
    summary = _request_pending()
    create_table_artifact(
        key="request-approvals",
        table=[{"outcome": k, "count": v} for k, v in summary.items()],
        description="Approval requests made in this run",
    )
    return summary
