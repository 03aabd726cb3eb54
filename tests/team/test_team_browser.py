"""The team pages in a real browser (Debian's chromium driven by Playwright), with an axe-core check of every page.

Chromium is /usr/bin/chromium (never `playwright install`); axe-core is injected from tests/team/vendor/.
Screenshots of every page go to var/screenshots/team-*.png for a person to look at. SQLite only here: the
same pages and rules run on both databases in test_team_web.py and test_team_work_api.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sbrflow.tasks import routing

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db", ["sqlite"], indirect=True)]


@pytest.fixture
def server(team_office, live_web):
    """The web application on a free loopback port, against this test's database (tests/conftest.py)."""
    return live_web


def _context(browser, **options):
    # A laptop-sized window; bypass_csp only so that axe-core can be injected into the page.
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", bypass_csp=True, **options)


@pytest.fixture
def page(browser):
    context = _context(browser)
    yield context.new_page()
    context.close()


def sign_in(page, server: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{server}/team/aanmelden")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Aanmelden").click()


def check_page(page, name: str) -> None:
    """axe-core on the page as it is: no violation of impact serious or critical; and a screenshot."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:3]}
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"team-{name}.png"), full_page=True)
    assert not serious, json.dumps(serious, indent=1)


def _submit(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_sign_in_lands_on_my_work_in_the_most_urgent_order(page, server, team_office):
    page.goto(f"{server}/team/werk")
    assert page.url.startswith(f"{server}/team/aanmelden")
    check_page(page, "sign-in")
    sign_in(page, server, "anna@kantoor.example")
    assert page.url == f"{server}/team/werk"
    rows = page.locator("table[data-testid=work] tbody tr")
    assert [rows.nth(i).get_attribute("data-case") for i in range(rows.count())] == [
        str(team_office.routed["1001 2021-07"]), str(team_office.routed["1001 2021-10"])]
    assert page.get_by_text("Anna Jansen (AN) · beheerder").is_visible()
    check_page(page, "my-work")
    page.goto(f"{server}/team/team")
    assert "verwerken" in page.locator("table[data-testid=overview]").inner_text()
    check_page(page, "team-view")


def test_a_wrong_password_says_so_and_repeated_failures_lock_the_account(page, server):
    for attempt in range(4):
        sign_in(page, server, "bob@kantoor.example", f"wrong password {attempt}")
        assert page.get_by_role("alert").inner_text() == "Onjuist e-mailadres of wachtwoord."
    check_page(page, "sign-in-wrong")
    sign_in(page, server, "bob@kantoor.example", "wrong password 5")
    assert "geblokkeerd tot" in page.get_by_role("alert").inner_text()
    sign_in(page, server, "bob@kantoor.example")  # the right password, but locked
    assert "geblokkeerd" in page.get_by_role("alert").inner_text()
    assert "/team/aanmelden" in page.url


def test_tick_without_reload_and_complete_moves_the_case_to_the_next_members_list(browser, page, server, team_office):
    case_id = team_office.routed["1001 2021-10"]
    sign_in(page, server, "anna@kantoor.example")
    page.goto(f"{server}/team/zaken/{case_id}")
    check_page(page, "case")
    page.evaluate("window.__sameDocument = true")
    for stage in ("verwerken", "samenstellen"):
        checkpoints = page.get_by_test_id(f"checkpoints-{stage}")
        while checkpoints.locator("li.open", has=page.locator("strong.mandatory")).count():
            item = checkpoints.locator("li.open", has=page.locator("strong.mandatory")).first
            position = item.get_attribute("data-position")
            item.get_by_role("button", name="Afvinken").click()
            page.wait_for_selector(f'[data-testid=checkpoints-{stage}] li.ticked[data-position="{position}"]')
        assert page.evaluate("window.__sameDocument") is True  # ticked without a page reload
        heading = page.get_by_test_id('checkpoints-' + stage).locator('xpath=..').locator('h3').inner_text()
        _submit(page, f"Fase ‘{heading.split('. ', 1)[1].split(' (')[0]}’ afronden")
        assert page.get_by_test_id("done").inner_text() == "Fase afgerond."
        page.evaluate("window.__sameDocument = true")
    assert page.get_by_test_id("current-stage").inner_text() == "beoordelen"
    assert case_id not in [r["case_id"] for r in routing.work_list("AN")]
    bob = _context(browser).new_page()
    sign_in(bob, server, "bob@kantoor.example")
    assert bob.locator(f'table[data-testid=work] tr[data-case="{case_id}"]').is_visible()
    bob.context.close()


def test_ticking_works_without_javascript(browser, server, team_office):
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    case_id = team_office.routed["1001 2021-07"]
    sign_in(page, server, "anna@kantoor.example")
    page.goto(f"{server}/team/zaken/{case_id}")
    with page.expect_navigation():
        page.get_by_test_id("checkpoints-verwerken").locator('li[data-position="1"]').get_by_role(
            "button", name="Afvinken").click()
    assert page.get_by_test_id("done").inner_text() == "Controlepunt afgevinkt."
    item = page.get_by_test_id("checkpoints-verwerken").locator('li[data-position="1"]')
    assert "afgevinkt door AN" in item.inner_text()
    context.close()


def test_a_member_without_the_role_cannot_complete_and_the_page_says_why(page, server, team_office):
    case_id = team_office.routed["1001 2021-10"]
    sign_in(page, server, "bob@kantoor.example")
    page.goto(f"{server}/team/zaken/{case_id}")
    _submit(page, "Fase ‘Administratie bijwerken’ afronden")
    refusal = page.get_by_test_id("refused").inner_text()
    assert "BO does not hold role administratie for client 1001" in refusal
    check_page(page, "case-refused")
    assert page.get_by_test_id("current-stage").inner_text() == "verwerken"


def _reassign(page, to: str, reason: str) -> None:
    page.get_by_label("Medewerkercode").fill(to)
    page.get_by_label("Reden", exact=True).fill(reason)
    page.get_by_label("Ook als de medewerker de rol niet heeft (wordt vastgelegd)").check()
    _submit(page, "Toewijzen")


def test_an_admin_reassigns_a_stage_they_hold_no_role_on_and_a_member_who_is_not_is_told_why(
        browser, page, server, team_office):
    garage = team_office.routed["1002 2021-10"]  # Bob's; Anna (admin) holds no role for client 1002
    sign_in(page, server, "anna@kantoor.example")
    page.goto(f"{server}/team/zaken/{garage}")
    _reassign(page, "AN", "Bob is ziek")
    assert page.get_by_test_id("done").inner_text() == "Fase toegewezen."
    assert "toegewezen aan AN" in page.locator("#fase-verwerken").inner_text()
    assert "as_admin: True" in page.get_by_test_id("history").inner_text()
    check_page(page, "case-reassigned-by-admin")
    bob = _context(browser).new_page()
    sign_in(bob, server, "bob@kantoor.example")
    bakery = team_office.routed["1001 2021-10"]  # Anna's administratie stage; Bob is the accountant there
    bob.goto(f"{server}/team/zaken/{bakery}")
    _reassign(bob, "BO", "ik neem het over")
    refusal = bob.get_by_test_id("refused").inner_text()
    assert "BO does not hold role administratie for client 1001" in refusal
    assert "only an admin may reassign a stage they cannot act on" in refusal
    assert "toegewezen aan AN" in bob.locator("#fase-verwerken").inner_text()
    check_page(bob, "case-reassign-refused")
    bob.context.close()


def test_send_back_with_a_reason(page, server, team_office):
    case_id = team_office.routed["1001 2021-10"]
    for position in (1, 2):
        routing.tick_checkpoint(case_id, position, "AN")
    routing.complete_current_stage(case_id, "AN")
    sign_in(page, server, "anna@kantoor.example")
    page.goto(f"{server}/team/zaken/{case_id}")
    _submit(page, "Terugsturen")
    assert "needs a reason" in page.get_by_test_id("refused").inner_text()
    page.get_by_label("Naar fase").select_option("verwerken")
    page.get_by_label("Reden (verplicht)").fill("Bankafschrift december ontbreekt")
    _submit(page, "Terugsturen")
    assert page.get_by_test_id("current-stage").inner_text() == "verwerken"
    assert "Bankafschrift december ontbreekt" in page.get_by_test_id("history").inner_text()


def test_assign_an_unmatched_return_and_look_at_the_client_card(page, server, team_office):
    sign_in(page, server, "anna@kantoor.example")
    page.goto(f"{server}/team/niet-gekoppeld")
    check_page(page, "unmatched")
    row = page.locator(f'tr[data-return="{team_office.return_id}"]')
    assert "no client has OB-nummer 999999990B01" in row.inner_text()
    row.get_by_label("Cliëntnummer").fill("1001")
    row.get_by_label("Tijdvak (optioneel)").fill("2021-09")
    with page.expect_navigation():
        row.get_by_role("button", name="Toewijzen").click()
    assert page.get_by_test_id("assigned").inner_text() == f"Aangifte {team_office.return_id} is toegewezen."
    assert page.get_by_test_id("empty").is_visible()
    page.goto(f"{server}/team/klanten?q=bakk")
    check_page(page, "clients")
    page.get_by_role("link", name="1001 · Bakkerij De Vries B.V.").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("status").inner_text() == "Klant"
    assert "Jan de Vries" in page.get_by_test_id("contacts").inner_text()
    check_page(page, "client-card")


def test_a_post_without_the_csrf_token_is_refused(page, server, team_office):
    sign_in(page, server, "anna@kantoor.example")
    case_id = team_office.routed["1001 2021-10"]
    response = page.context.request.post(f"{server}/team/zaken/{case_id}/controlepunten/1/afvinken", form={})
    assert response.status == 403
    response = page.context.request.post(f"{server}/team/niet-gekoppeld/{team_office.return_id}/toewijzen",
                                         form={"client": "1001"})
    assert response.status == 403
    assert routing.show_case(case_id)["stages"][0]["checkpoints"][0]["ticked_by"] is None
