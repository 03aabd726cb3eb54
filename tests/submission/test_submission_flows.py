"""The flows under Prefect, the concurrent claim on PostgreSQL, and the commands."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sbrflow.integrations.digipoort.client import WusClient
from sbrflow.models.db import unit_of_work
from sbrflow.models.submission import Submission
from sbrflow.tasks import submission as tasks

from .conftest import approved_case, case_state, make_cases


@pytest.mark.flow
def test_submit_returns_submits_and_follows_every_approved_case_to_closed(db, digipoort_settings, simulator,
                                                                           prefect_harness):
    from sbrflow.flows.submission import follow_submissions, submit_returns

    happy, failing = make_cases("001000044B37", "001000044B92")
    result = submit_returns()
    assert result["claimed"] == 2 and result["delivered"] == 2
    follow_submissions()
    assert case_state(happy) == "closed" and case_state(failing) == "submission_failed"
    assert submit_returns()["claimed"] == 0  # never twice
    assert sum(simulator.received.values()) == 2


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_two_concurrent_submitters_on_postgresql_submit_every_case_exactly_once(db, pki, simulator):
    with unit_of_work() as session:
        ids = [approved_case(session, f"{2000 + i}", f"{100000000 + i:09d}B01") for i in range(120)]
    errors = []

    def worker():
        wus = WusClient(simulator.aanlever_url, simulator.status_url, cert_file=pki.client_cert,
                        key_file=pki.client_key, ca_file=pki.ca_cert)
        try:
            while claimed := tasks.claim_batch(limit=10):
                tasks.send_batch(claimed, wus)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            wus.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(simulator.received) == len(ids) and set(simulator.received.values()) == {1}
    with unit_of_work() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Submission)) == len(ids)
    assert {case_state(i) for i in ids} == {"submitting"}


def _cli(*args):
    from sbrflow.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_the_commands_list_resubmit_and_close_and_refuse_with_one_line(db, client, simulator):
    [case_id] = make_cases("001000044B90")
    tasks.send_batch(tasks.claim_batch(), client)
    listed = json.loads(_cli("submissions", "list", "--state", "submission_failed", "--json").stdout)
    assert listed[0]["case_id"] == case_id and listed[0]["error_code"] == "ALS103"
    assert {"case_id", "client_number", "kenmerk", "status_code", "status_text", "at"} <= listed[0].keys()
    assert _cli("submissions", "resubmit", str(case_id), "--by", "NOBODY").exit_code == 2
    assert _cli("case", "close", "999999", "--by", "JDV").exit_code == 2
    closed = _cli("case", "close", str(case_id), "--by", "JDV")
    assert closed.exit_code != 0 and "only a submitted case" in str(closed.exception)
    ok = _cli("submissions", "resubmit", str(case_id), "--by", "JDV")
    assert ok.exit_code == 0 and case_state(case_id) == "approved"


def test_digipoort_parse_prints_the_contract_and_exits_2_for_other_files(tmp_path):
    from pathlib import Path

    sample = Path(__file__).parent / "samples" / "getNieuweStatussenProces-response-happyflow.xml"
    out = _cli("digipoort", "parse", str(sample), "--json")
    assert out.exit_code == 0 and json.loads(out.stdout)["final"] == "accepted"
    other = tmp_path / "other.xml"
    other.write_bytes(b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'>"
                      b"<soapenv:Body><foo/></soapenv:Body></soapenv:Envelope>")
    result = _cli("digipoort", "parse", str(other), "--json")
    assert result.exit_code == 2 and "foo" in result.stderr
