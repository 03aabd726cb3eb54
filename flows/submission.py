"""Flows `submit-returns` and `follow-submissions`: approved returns to Digipoort, each delivery followed to its end."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from sbrflow.config.settings import get_settings
from sbrflow.flows.outcome import fails_cleanly, run_name, today
from sbrflow.flows.report import LISTED, named
from sbrflow.integrations.digipoort import client_from_settings
from sbrflow.integrations.digipoort.base import DigipoortUnavailable
from sbrflow.tasks import submission as tasks
from sbrflow.tasks.cases import read_case_labels


def _transient(_task, _task_run, state) -> bool:
    # Retry service trouble only; anything else (a crash between call and commit) must not send again.
    return isinstance(state.result(raise_on_failure=False), DigipoortUnavailable)


def _retries() -> dict:
    settings = get_settings()
    return {"retries": settings.submission_retries, "retry_delay_seconds": settings.submission_retry_delay,
            "retry_condition_fn": _transient}


@task(name="send-batch")
def send_batch(submission_ids: list[int]) -> dict:
    """Send one claimed batch: each delivery once; raises when Digipoort was unavailable so Prefect retries."""
    client = client_from_settings()
    try:
        counts = tasks.send_batch(submission_ids, client)
    finally:
        client.close()
    if counts["unavailable"]:
        # Those rows are marked certainly-not-received; the retry sends only them.
        raise DigipoortUnavailable(f"{counts['unavailable']} deliveries got a 503 or no connection",
                                   not_received=True)
    return counts


@task(name="follow-batch")
def follow_batch(submission_ids: list[int], now: datetime | None = None) -> dict:
    """Ask the new statuses of one batch of open deliveries and decide their cases."""
    client = client_from_settings()
    try:
        return tasks.follow_batch(submission_ids, client, now)
    finally:
        client.close()


def _add(total: dict, counts: dict, failed: list[int]) -> None:
    for key, value in counts.items():
        if key == "failed_cases":
            failed += value
        else:
            total[key] = total.get(key, 0) + value


def _publish(key: str, total: dict, failed: list[int], description: str) -> None:
    """The run's counts in a table; the failed and refused ones name their clients (product and period)."""
    command = "sbrflow submissions list --state submission_failed"
    labels = named(read_case_labels(failed, LISTED), len(failed), command)
    create_table_artifact(
        key=key, description=description,
        table=[{"outcome": k, "count": v, "clients": labels if k in ("failed", "refused") and v else ""}
               for k, v in total.items() if not isinstance(v, dict)])


@flow(name="submit-returns", flow_run_name=run_name("submit", "case_id:case", default=today))
@fails_cleanly
def submit_returns(case_id: int | None = None, follow: bool = True) -> dict:
    """Submit every approved return to Digipoort once, on behalf of the sbr.on_behalf_of role holder.

    Claims batches (FOR UPDATE SKIP LOCKED, so parallel runs never share a case), commits our own
    delivery reference before each call and the kenmerk after it; a case left `submitting` without
    kenmerk is listed (`sbrflow submissions list --state in_doubt`) and never sent again by itself.
    Then follows the deliveries (follow-submissions) unless `follow` is false. `case_id`: only that case.
    """
    client_from_settings().close()  # a missing certificate stops the run before anything is claimed
    total: dict = {"claimed": 0}
    failed: list[int] = []
    retry = send_batch.with_options(**_retries())
    resend = tasks.resendable() if case_id is None else []
    if resend:
        _add(total, _quiet(retry, resend), failed)
    while True:
        claimed = tasks.claim_batch(case_id=case_id)
        if not claimed:
            break
        total["claimed"] += len(claimed)
        _add(total, _quiet(retry, claimed), failed)
        if case_id is not None:
            break
    _publish("submit-returns", total, failed, "Deliveries to Digipoort in this run")
    if follow:
        total["follow"] = follow_submissions()
    return total


def _quiet(retry, ids: list[int]) -> dict:
    """Run one batch; after its last retry a batch still unavailable is left for the next run, not fatal."""
    state = retry(ids, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, DigipoortUnavailable):
        return {"left_for_next_run": len(tasks.resendable())}
    if isinstance(result, BaseException):
        raise result
    return result


@flow(name="follow-submissions", flow_run_name=run_name("follow-submissions", default=today))
@fails_cleanly
def follow_submissions(now: datetime | None = None) -> dict:
    """Ask Digipoort the new statuses of every open delivery, in batches; store each in the audit trail.

    500 → submitted, then closed when the template closes automatically (and the next period's case
    made sure of); a final error → submission_failed with code and meaning; 420 → keep following,
    failed after 72 hours. `now` stands in for the clock (tests, replays).
    """
    total: dict = {}
    failed: list[int] = []
    after = 0
    while True:
        batch = tasks.open_deliveries(after)
        if not batch:
            break
        after = batch[-1]
        _add(total, follow_batch(batch, now), failed)
    _publish("follow-submissions", total, failed, "Digipoort statuses asked in this run")
    return total
