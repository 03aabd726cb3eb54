"""The approval page in a real browser (Debian's chromium driven by Playwright), on SQLite and PostgreSQL.

Chromium is installed by .ci/run with apt; Playwright is launched with executable_path=/usr/bin/chromium
(never `playwright install`). A screenshot of the page is saved under var/screenshots/ for a person to look at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sbrflow.domain.case_states import CaseState
from sbrflow.models import Case
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.approval import request_approval

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = pytest.mark.browser


@pytest.fixture
def server(office, live_web):
    """The web application on a free loopback port, against this test's database (tests/conftest.py)."""
    return live_web


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    yield context.new_page()
    context.close()


def _submit(page, button: str) -> None:
    """Press a form button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def _case(case_id: int) -> Case:
    with unit_of_work() as session:
        return session.get(Case, case_id)


def test_open_a_link_see_amounts_and_rubrieken_and_approve(page, server, office, request):
    made = request_approval(office.case_id)
    response = page.goto(f"{server}/a/{made['token']}")
    assert response.status == 200
    assert page.get_by_test_id("amount-due").inner_text() == "€ 3.240 te betalen"
    assert len(page.get_by_test_id("payment-reference").inner_text().split(" ")) == 4
    assert page.get_by_test_id("deadline").inner_text() == "30 november 2021"
    row = page.locator('tr[data-rubriek="1a"]')
    assert "hoog tarief" in row.inner_text() and "€ 15.000" in row.inner_text() and "€ 3.150" in row.inner_text()
    assert "€ 3.240" in page.locator('tr[data-rubriek="5g"]').inner_text()
    if request.node.callspec.id == "sqlite":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "approval.png"), full_page=True)
    _submit(page, "Akkoord")
    assert page.get_by_role("heading", name="Bedankt").is_visible(), page.locator("body").inner_text()
    if request.node.callspec.id == "sqlite":
        page.screenshot(path=str(SCREENSHOTS / "approval-done.png"), full_page=True)
    assert _case(office.case_id).state is CaseState.APPROVED


def test_reject_without_a_reason_is_refused(page, server, office):
    made = request_approval(office.case_id)
    page.goto(f"{server}/a/{made['token']}")
    _submit(page, "Niet akkoord")
    assert page.get_by_role("alert").first.inner_text().startswith("Vul in wat er niet klopt")
    assert _case(office.case_id).state is CaseState.WITH_CLIENT


def test_reject_with_a_reason_sends_the_case_back_to_its_last_stage(page, server, office):
    made = request_approval(office.case_id)
    page.goto(f"{server}/a/{made['token']}")
    page.get_by_label("Niet akkoord? Vertel wat er niet klopt").fill("De omzet in 1b is te hoog")
    _submit(page, "Niet akkoord")
    assert page.get_by_role("heading", name="Bedankt").is_visible()
    case = _case(office.case_id)
    assert (case.state, case.current_stage) == (CaseState.IN_PROGRESS, "beoordelen")


def test_sign_with_typed_name_and_consent(page, server, office, tmp_path, monkeypatch):
    from sbrflow.tasks import approval as use_cases

    real = use_cases._template

    def signing(case, templates=None):  # the same template, put to the client for signing
        template = real(case, templates)
        return template.model_copy(update={"sbr": template.sbr.model_copy(update={"presentation": "signing"})})

    monkeypatch.setattr(use_cases, "_template", signing)
    made = request_approval(office.case_id)
    page.goto(f"{server}/a/{made['token']}")
    page.get_by_label("Uw volledige naam").fill("Jan de Vries")
    _submit(page, "Ondertekenen")
    assert "Vink aan" in page.get_by_role("alert").first.inner_text()  # consent missing: refused
    page.get_by_label("Uw volledige naam").fill("Jan de Vries")
    page.get_by_label("Ik onderteken deze aangifte").check()
    _submit(page, "Ondertekenen")
    assert "ondertekend" in page.locator("main").inner_text()
    assert _case(office.case_id).state is CaseState.APPROVED


def test_a_reused_link_says_it_was_used(page, server, office):
    made = request_approval(office.case_id)
    page.goto(f"{server}/a/{made['token']}")
    second_tab = page.context.new_page()  # the same form open twice (or a double submit)
    second_tab.goto(f"{server}/a/{made['token']}")
    _submit(page, "Akkoord")
    _submit(second_tab, "Akkoord")
    assert "al vastgelegd" in second_tab.locator("main").inner_text()
    response = page.goto(f"{server}/a/{made['token']}")
    assert response.status == 410 and "al gebruikt" in page.locator("main").inner_text()
    page.go_back()  # pages are not cached (Cache-Control: no-store): back shows the used link too
    assert "al gebruikt" in page.locator("main").inner_text()


def test_an_expired_link_says_so_and_reveals_nothing(page, server, office):
    made = request_approval(office.case_id, now=datetime.now(UTC) - timedelta(days=15))  # a clock 15 days back
    response = page.goto(f"{server}/a/{made['token']}")
    text = page.locator("main").inner_text()
    assert response.status == 410 and "verlopen" in text and "nieuwe link" in text
    assert "Bakkerij" not in page.content() and "3.240" not in page.content()
    assert _case(office.case_id).state is CaseState.WITH_CLIENT


def test_a_corrected_return_after_approval_voids_the_old_link(page, server, office, sample_bytes, kit):
    made = request_approval(office.case_id)
    page.goto(f"{server}/a/{made['token']}")  # the client has the page open …
    with unit_of_work() as session:  # … when a corrected return replaces the document
        kit.add_document(session, office.case_id, sample_bytes.replace(b"3240", b"3300"))
    _submit(page, "Akkoord")
    assert "vervangen" in page.locator("main").inner_text()
    assert _case(office.case_id).state is CaseState.WITH_CLIENT
    response = page.goto(f"{server}/a/{made['token']}")
    assert response.status == 410
