"""Flow `send-messages`: deliver the outbox over SMTP (every minute, and at the end of flows that queue mail)."""

from __future__ import annotations

from prefect import flow

from sbrflow.tasks.messages import send_queued_messages


@flow(name="send-messages")
def send_messages(batch_size: int | None = None) -> dict[str, int]:
    """Send every queued message that is due, in batches over one SMTP connection each.

    A message whose reason has gone (the client approved meanwhile) is cancelled, not sent. A 4xx answer
    or a lost connection: the message waits (1 min, doubling) and is tried again by a later run; a 5xx
    answer: the message is failed with the server's answer and lands in the work list of the case's
    relatiebeheerder (`sbrflow messages list --state failed`).
    """
    return send_queued_messages(batch_size)
