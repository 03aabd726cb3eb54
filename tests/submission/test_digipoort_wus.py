"""The WUS client against the simulator over HTTPS: mutual TLS, signatures, scenarios; the real samples parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from lxml import etree

from sbrflow.integrations.digipoort import messages, wss
from sbrflow.integrations.digipoort.base import Delivery, DigipoortUnavailable, Envelope, Fault, StatusReport
from sbrflow.integrations.digipoort.client import WusClient
from sbrflow.integrations.digipoort.simulator import DigipoortSimulator, Faults
from sbrflow.integrations.digipoort.testpki import make_foreign_client

SAMPLES = Path("/work/shared/samples/digipoort")
if not SAMPLES.is_dir():  # the repository's copy
    SAMPLES = Path(__file__).parent / "samples"


def _envelope(fiscal_id: str, ref: str = "ref-1") -> Envelope:
    return Envelope(berichtsoort="Omzetbelasting", aanleverkenmerk=ref, fiscal_id=fiscal_id)


def test_the_real_aanlever_response_parses_to_a_delivery():
    parsed = messages.to_json(messages.read((SAMPLES / "aanleveren-response-ok.xml").read_bytes()))
    assert parsed == {"kind": "delivered", "kenmerk": "700627b6-383e-4d8d-809f-b066845b36e0",
                      "berichtsoort": "Omzetbelasting", "fiscal_id": "001000044B37",
                      "at": "2021-03-07T11:37:39.702000+00:00"}


def test_the_real_happy_flow_status_list_parses_with_its_chain_and_final_accepted():
    parsed = messages.to_json(messages.read((SAMPLES / "getNieuweStatussenProces-response-happyflow.xml").read_bytes()))
    assert [s["code"] for s in parsed["statuses"]] == ["105", "100", "110", "200", "301", "301", "405", "400", "500"]
    assert parsed["final"] == "accepted" and parsed["statuses"][0]["description"] == "Aanleverproces gestart."


def test_a_happy_delivery_is_followed_over_two_status_requests_to_500(client, simulator):
    delivery = client.submit(b"<aangifte/>", _envelope("001000044B37"))
    assert isinstance(delivery, Delivery) and delivery.fiscal_id == "001000044B37"
    first, second = client.statuses(delivery.kenmerk), client.statuses(delivery.kenmerk)
    assert [s.code for s in first.statuses] == ["105", "100", "110", "200", "301"]
    assert [s.code for s in second.statuses] == ["301", "405", "400", "500"]
    assert simulator.received["ref-1"] == 1


@pytest.mark.parametrize(("fiscal_id", "last"), [("001000044B91", "311"), ("001000044B92", "410"),
                                                 ("001000044B94", "420")])
def test_each_failure_scenario_ends_its_first_status_list_with_its_code(client, fiscal_id, last):
    delivery = client.submit(b"<aangifte/>", _envelope(fiscal_id))
    report = client.statuses(delivery.kenmerk)
    assert report.statuses[-1].code == last
    assert messages.to_json(report)["final"] == (None if last == "420" else "failed")


def test_the_immediate_fault_scenario_answers_with_an_aanleverservice_fault(client):
    answer = client.submit(b"<aangifte/>", _envelope("001000044B90"))
    assert isinstance(answer, Fault) and answer.code == "ALS103" and not answer.transient


def test_mutual_tls_refuses_a_client_without_a_certificate(pki, simulator):
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(simulator.aanlever_url, data=b"<x/>", verify=str(pki.ca_cert), timeout=5)
    assert not simulator.received


def test_mutual_tls_refuses_a_certificate_the_test_ca_did_not_issue(pki, simulator, tmp_path):
    cert, key = make_foreign_client(tmp_path)
    intruder = WusClient(simulator.aanlever_url, simulator.status_url, cert_file=cert, key_file=key,
                         ca_file=pki.ca_cert)
    with pytest.raises(DigipoortUnavailable):
        intruder.submit(b"<aangifte/>", _envelope("001000044B37"))
    assert not simulator.received


def test_the_simulator_verifies_the_signature_and_refuses_a_changed_body(pki, simulator):
    credentials = wss.Credentials(pki.client_key.read_bytes(), pki.client_cert.read_bytes())
    request = messages.aanleveren_request(_envelope("001000044B37"), b"<aangifte/>", to=simulator.aanlever_url,
                                          message_id="urn:uuid:1")
    from datetime import UTC, datetime

    signed = wss.sign(request, credentials=credentials, now=datetime.now(UTC))
    assert wss.verify(signed, trusted=simulator.ca).subject == credentials.cert.subject
    tampered = signed.replace(b"001000044B37", b"001000044B38")
    answer = requests.post(simulator.aanlever_url, data=tampered, cert=(str(pki.client_cert), str(pki.client_key)),
                           verify=str(pki.ca_cert), timeout=5)
    fault = messages.read(answer.content)
    assert answer.status_code == 500 and isinstance(fault, Fault) and fault.code == "ALS109"
    assert simulator.rejected_signatures == 1 and not simulator.received
    unsigned = etree.tostring(messages.aanleveren_request(_envelope("001000044B37"), b"<aangifte/>",
                                                          to=simulator.aanlever_url, message_id="urn:uuid:2"))
    answer = requests.post(simulator.aanlever_url, data=unsigned, cert=(str(pki.client_cert), str(pki.client_key)),
                           verify=str(pki.ca_cert), timeout=5)
    assert messages.read(answer.content).code == "ALS109"


def test_a_503_is_unavailable_and_certainly_not_received(pki):
    with DigipoortSimulator(pki, faults=Faults(error_rate=1.0)) as sim:
        wus = WusClient(sim.aanlever_url, sim.status_url, cert_file=pki.client_cert, key_file=pki.client_key,
                        ca_file=pki.ca_cert)
        with pytest.raises(DigipoortUnavailable) as caught:
            wus.submit(b"<aangifte/>", _envelope("001000044B37"))
    assert caught.value.not_received


def test_a_slow_answer_times_out_and_is_in_doubt(pki):
    with DigipoortSimulator(pki, faults=Faults(slow_rate=1.0, slow_seconds=1.5)) as sim:
        wus = WusClient(sim.aanlever_url, sim.status_url, cert_file=pki.client_cert, key_file=pki.client_key,
                        ca_file=pki.ca_cert, read_timeout=0.3)
        with pytest.raises(DigipoortUnavailable) as caught:
            wus.submit(b"<aangifte/>", _envelope("001000044B37"))
    assert not caught.value.not_received


def test_a_message_with_a_dtd_is_unreadable():
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&a;</soapenv:Body></soapenv:Envelope>'
    with pytest.raises(messages.UnreadableMessage):
        messages.read(evil)


def test_the_status_report_json_lists_error_codes(client):
    delivery = client.submit(b"<aangifte/>", _envelope("001000044B91"))
    parsed = messages.to_json(client.statuses(delivery.kenmerk))
    assert parsed["statuses"][-1]["error_code"] == "GEN001" and json.dumps(parsed)
    assert isinstance(messages.read(etree.tostring(messages.statussen_response(
        "k", "001000044B37", [], message_id="m", relates_to="r"))), StatusReport)
