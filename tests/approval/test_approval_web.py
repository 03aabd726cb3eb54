"""The client's page over HTTP (FastAPI TestClient), on SQLite and PostgreSQL: headers, CSRF, 404/410, limits, logs."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from sbrflow.config.settings import get_settings
from sbrflow.domain.case_states import CaseState
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.approval import request_approval
from sbrflow.web.app import create_app
from sbrflow.web.security import MaskTokens, RateLimiter, mask_path


@pytest.fixture
def client(office):
    with TestClient(create_app(), base_url="http://testserver") as c:
        yield c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _state(case_id: int) -> CaseState:
    with unit_of_work() as session:
        return session.get(Case, case_id).state


def test_the_page_is_dutch_and_shows_the_form_with_security_headers(client, office):
    made = request_approval(office.case_id)
    response = client.get(f"/a/{made['token']}")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="nl">' in html and "€ 3.240 te betalen" in html
    assert 'data-rubriek="1a"' in html and "€ 15.000" in html and "€ 3.150" in html
    assert "Akkoord" in html and "Niet akkoord" in html and "Ondertekenen" not in html
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no scripts at all
    assert headers["referrer-policy"] == "no-referrer" and headers["x-frame-options"] == "DENY"
    css = client.get("/static/sbrflow.css")
    assert css.status_code == 200 and css.headers["referrer-policy"] == "no-referrer"


def test_the_download_is_the_exact_document(client, office, sample_bytes):
    made = request_approval(office.case_id)
    response = client.get(f"/a/{made['token']}/document")
    assert response.status_code == 200 and response.content == sample_bytes
    import hashlib
    assert response.headers["x-content-sha256"] == hashlib.sha256(sample_bytes).hexdigest()


def test_a_post_without_the_csrf_token_is_refused(client, office):
    made = request_approval(office.case_id)
    response = client.post(f"/a/{made['token']}", data={"decision": "approve", "csrf": "0" * 64})
    assert response.status_code == 403
    assert _state(office.case_id) is CaseState.WITH_CLIENT


def test_a_post_from_another_site_is_refused(client, office):
    made = request_approval(office.case_id)
    csrf = _csrf(client.get(f"/a/{made['token']}").text)
    response = client.post(f"/a/{made['token']}", data={"decision": "approve", "csrf": csrf},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_approve_then_a_second_submit_shows_the_decision_already_made(client, office):
    made = request_approval(office.case_id)
    csrf = _csrf(client.get(f"/a/{made['token']}").text)
    first = client.post(f"/a/{made['token']}", data={"decision": "approve", "csrf": csrf})
    assert first.status_code == 200 and "Bedankt" in first.text
    assert _state(office.case_id) is CaseState.APPROVED
    second = client.post(f"/a/{made['token']}", data={"decision": "approve", "csrf": csrf})
    assert second.status_code == 200 and "al vastgelegd" in second.text
    reopened = client.get(f"/a/{made['token']}")
    assert reopened.status_code == 410 and "al gebruikt" in reopened.text


def test_reject_without_reason_shows_the_page_again_with_the_error(client, office):
    made = request_approval(office.case_id)
    csrf = _csrf(client.get(f"/a/{made['token']}").text)
    response = client.post(f"/a/{made['token']}", data={"decision": "reject", "reason": " ", "csrf": csrf})
    assert response.status_code == 422 and "een toelichting verplicht" in response.text
    assert 'aria-invalid="true"' in response.text
    assert _state(office.case_id) is CaseState.WITH_CLIENT


@pytest.mark.parametrize("token, status, text", [
    ("A" * 43, 404, "niet geldig"),
    ("nonsense", 404, "niet geldig"),
])
def test_an_unknown_link_is_404_and_reveals_nothing(client, office, token, status, text):
    response = client.get(f"/a/{token}")
    assert response.status_code == status and text in response.text
    assert "Bakkerij" not in response.text and "3.240" not in response.text
    assert "nieuwe link" in response.text


def test_a_replaced_link_is_410_and_reveals_nothing(client, office):
    old = request_approval(office.case_id)
    request_approval(office.case_id)
    response = client.get(f"/a/{old['token']}")
    assert response.status_code == 410 and "vervangen" in response.text and "Bakkerij" not in response.text


def test_token_lookups_are_rate_limited_per_client_address(office, monkeypatch):
    monkeypatch.setenv("SBRFLOW_APPROVAL_LOOKUPS_PER_MINUTE", "3")
    get_settings.cache_clear()
    with TestClient(create_app()) as c:
        codes = [c.get(f"/a/{'B' * 43}").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_the_limiter_forgets_hits_after_a_minute():
    clock = iter([0.0, 1.0, 61.5]).__next__
    limiter = RateLimiter(1, clock=clock)
    assert limiter.allow("1.2.3.4") and not limiter.allow("1.2.3.4") and limiter.allow("1.2.3.4")


def test_tokens_are_masked_in_log_lines(caplog):
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde"
    assert mask_path(f'GET /a/{token}/document HTTP/1.1') == "GET /a/AbCd…/document HTTP/1.1"
    logger = logging.getLogger("uvicorn.access.test")
    logger.addFilter(MaskTokens())
    with caplog.at_level(logging.INFO, logger="uvicorn.access.test"):
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", f"/a/{token}", "1.1", 200)
    assert token not in caplog.text and "/a/AbCd…" in caplog.text


def test_an_oversized_form_is_refused(client, office):
    made = request_approval(office.case_id)
    response = client.post(f"/a/{made['token']}", content=b"reason=" + b"x" * 20_000,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert _state(office.case_id) is CaseState.WITH_CLIENT
