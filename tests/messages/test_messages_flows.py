"""send-reminders and send-messages run for real under Prefect; the commands show the outbox."""

from __future__ import annotations

import json

import pytest
from prefect.artifacts import Artifact
from typer.testing import CliRunner

from sbrflow.cli.main import app
from sbrflow.config.settings import get_settings
from sbrflow.flows.messages import send_reminders

pytestmark = pytest.mark.flow
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def smtp_env(smtp_server, monkeypatch):
    monkeypatch.setenv("SBRFLOW_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("SBRFLOW_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("SBRFLOW_MAIL_FROM", "Kantoor <noreply@kantoor.example>")
    get_settings.cache_clear()
    return smtp_server


def test_send_reminders_queues_the_escalation_sends_it_and_publishes_the_table(prefect_harness, office, smtp_env):
    from datetime import date

    summary = send_reminders(run_date=date(2026, 10, 28))
    assert summary["escalations"] == 1 and summary["sending"]["sent"] == 1
    [mail] = smtp_env.received
    assert mail.rcpt_tos == ["anna@kantoor.example"] and mail.message_id.endswith("@kantoor.example>")
    assert mail.mail_from == "noreply@kantoor.example"
    artifact = Artifact.get("send-reminders")
    table = artifact.data if isinstance(artifact.data, list) else json.loads(artifact.data)
    assert table == [{"product": "vat_return", "period": "2026-Q3", "kind": "escalation", "count": 1,
                      "clients": "1001"}]

    listed = json.loads(_run("messages", "list", "--json").stdout)
    assert [(m["reason"], m["state"], m["case_id"]) for m in listed] == [("escalation", "sent", office.case_id)]
    assert json.loads(_run("messages", "list", "--state", "queued", "--json").stdout) == []
    assert json.loads(_run("messages", "list", "--case", str(office.case_id + 1), "--json").stdout) == []
    dry = _run("reminders", "--date", "2026-10-28", "--dry-run")
    assert dry.exit_code == 0 and "would queue 0" in dry.stdout
    sent = _run("messages", "send")
    assert sent.exit_code == 0 and "sent 0" in sent.stdout


def test_messages_list_refuses_an_unknown_state(db):
    import sys

    from sbrflow.cli.main import main

    argv = sys.argv
    sys.argv = ["sbrflow", "messages", "list", "--state", "lost"]
    try:
        with pytest.raises(SystemExit) as raised:
            main()
    finally:
        sys.argv = argv
    assert raised.value.code == 1


def test_the_smtp_password_can_come_from_a_prefect_secret_block(prefect_harness, office, server_tls, certificate):
    from datetime import UTC, datetime

    from prefect.blocks.system import Secret

    from sbrflow.domain.messages import MessageReason, RecipientKind
    from sbrflow.integrations.mail.server import LocalSmtpServer
    from sbrflow.models.db import unit_of_work
    from sbrflow.tasks import messages as outbox
    from sbrflow.tasks import sending

    from .conftest import settings_for

    Secret(value="uit-de-kluis").save("sbrflow-test-smtp-password", overwrite=True)
    with unit_of_work() as session:
        outbox.queue_message(session, reason=MessageReason.STAGE_DIGEST, dedup_key="digest:1",
                             recipient="anna@kantoor.example", recipient_kind=RecipientKind.TEAM_MEMBER,
                             values={"member_name": "Anna", "stages": [], "count": 0, "run_date": "1 december 2026"})
    with LocalSmtpServer(tls=server_tls, users={"kantoor": "uit-de-kluis"}) as server:
        settings = settings_for(server, starttls=True, user="kantoor", ca_file=certificate[0],
                                password="prefect-secret:sbrflow-test-smtp-password")
        assert sending.send_queued(smtp=settings, now=lambda: datetime.now(UTC))["sent"] == 1
        assert server.logins == ["kantoor"]


def test_the_deployments_are_declared_in_prefect_yaml():
    from pathlib import Path

    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "prefect.yaml").read_text())
    entry = {d["name"]: d for d in spec["deployments"]}
    assert entry["send-messages"]["entrypoint"] == "sbrflow.flows.messages:send_messages"
    assert entry["send-messages"]["schedules"] == [{"interval": 60}]
    assert entry["send-reminders"]["entrypoint"] == "sbrflow.flows.messages:send_reminders"
    assert entry["send-reminders"]["schedules"] == [{"cron": "0 8 * * *", "timezone": "Europe/Amsterdam"}]
