"""The source-package simulator serves the API the HTTP client reads, and injects faults on request."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from datetime import date

import pytest

from sbrflow.domain.enums import Tax
from sbrflow.integrations.sbr.parser import InvalidReturnDocument, parse_return
from sbrflow.integrations.simulator import (
    Faults,
    FolderCatalogue,
    SourceSimulator,
    elfproef_numbers,
    generated_catalogue,
    months_back,
)


def _get(url: str, token: str | None = None) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def _listing(sim: SourceSimulator, cursor: str | None = None, limit: int = 100) -> dict:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    status, body, _ = _get(f"{sim.url}/returns{query}")
    assert status == 200
    return json.loads(body)


def test_a_generated_catalogue_is_ninety_percent_vat_and_parses():
    catalogue = generated_catalogue(40, employees=3, seed=5)
    parsed = [parse_return(entry.render()) for entry in catalogue.snapshot()]
    assert len(parsed) == 40
    assert sum(p.tax is Tax.OB for p in parsed) == 36
    assert len({p.sha256 for p in parsed}) == 40  # every return distinct
    assert {(p.fiscal_id, p.period_start) for p in parsed if p.tax is Tax.LH}


def test_the_same_arguments_give_the_same_documents():
    first = [e.render() for e in generated_catalogue(12, employees=2, seed=3).snapshot()]
    again = [e.render() for e in generated_catalogue(12, employees=2, seed=3).snapshot()]
    assert first == again


def test_generated_returns_cover_the_given_clients_month_by_month():
    catalogue = generated_catalogue(6, vat_share=1.0, ob_numbers=["001000044B37", "111222333B01"],
                                    last_period=date(2025, 3, 1))
    periods = {(p.fiscal_id, p.period_start) for p in map(parse_return, (e.render() for e in catalogue.snapshot()))}
    assert periods == {(ob, start) for ob in ("001000044B37", "111222333B01")
                       for start, _ in months_back(3, date(2025, 3, 1))}


def test_made_up_client_numbers_pass_the_elfproef():
    for number in elfproef_numbers(20, 800_000_000):
        assert sum((9 - i) * int(d) for i, d in enumerate(number[:8])) % 11 == int(number[8])


def test_the_feed_pages_by_cursor_and_serves_each_document_with_its_hash():
    with SourceSimulator(generated_catalogue(25, employees=1)) as sim:
        first = _listing(sim, limit=10)
        second = _listing(sim, first["next_cursor"], limit=10)
        third = _listing(sim, second["next_cursor"], limit=10)
        assert [len(p["items"]) for p in (first, second, third)] == [10, 10, 5]
        assert (first["has_more"], third["has_more"]) == (True, False)
        status, body, headers = _get(f"{sim.url}/returns/{first['items'][0]['id']}")
        assert status == 200 and headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
        assert _get(f"{sim.url}/returns/no-such-id")[0] == 404
        assert json.loads(_get(f"http://127.0.0.1:{sim.port}/health")[1]) == {"status": "ok", "documents": 25}


def test_with_a_token_every_api_call_needs_it():
    with SourceSimulator(generated_catalogue(2), token="s3cret") as sim:
        assert _get(f"{sim.url}/returns")[0] == 401
        assert _get(f"{sim.url}/returns", token="wrong")[0] == 401
        assert _get(f"{sim.url}/returns", token="s3cret")[0] == 200


def test_an_error_rate_of_one_answers_every_call_with_503():
    with SourceSimulator(generated_catalogue(2), faults=Faults(error_rate=1.0, retry_after=0)) as sim:
        status, _, headers = _get(f"{sim.url}/returns")
        assert status == 503 and headers["Retry-After"] == "0"
        assert sim.stats.errors_injected == 1


def test_malformed_documents_are_damaged_the_same_way_every_time():
    with SourceSimulator(generated_catalogue(30, employees=1), faults=Faults(malformed_rate=0.3, seed=2)) as sim:
        ids = [item["id"] for item in _listing(sim)["items"]]
        damaged = 0
        for entry_id in ids:
            body = _get(f"{sim.url}/returns/{entry_id}")[1]
            assert _get(f"{sim.url}/returns/{entry_id}")[1] == body
            try:
                parse_return(body)
            except InvalidReturnDocument:
                damaged += 1
        assert 0 < damaged < 30


def test_a_duplicated_document_is_listed_again_later_under_another_id_with_the_same_bytes():
    with SourceSimulator(generated_catalogue(40, employees=1), faults=Faults(duplicate_rate=0.2, seed=1)) as sim:
        items = _listing(sim, limit=1000)["items"]
        again = [item["id"] for item in items if item["id"].endswith(".again")]
        assert again and len(items) == 40 + len(again)
        original = again[0].removesuffix(".again")
        assert [i["id"] for i in items].index(original) < [i["id"] for i in items].index(again[0])
        assert _get(f"{sim.url}/returns/{again[0]}")[1] == _get(f"{sim.url}/returns/{original}")[1]


def test_changing_pages_grow_while_read_and_repeat_the_previous_last_item():
    with SourceSimulator(generated_catalogue(40, employees=1), faults=Faults(changing_pages=True)) as sim:
        first = _listing(sim, limit=10)
        second = _listing(sim, first["next_cursor"], limit=10)
        assert second["items"][0] == first["items"][-1]
        assert first["has_more"]


def test_a_folder_is_served_in_name_order_and_new_files_appear_after_the_cursor(tmp_path, sample_bytes):
    (tmp_path / "b.xbrl").write_bytes(sample_bytes)
    (tmp_path / "a.xml").write_bytes(b"<x/>")
    (tmp_path / "notes.txt").write_text("ignored")
    with SourceSimulator(FolderCatalogue(tmp_path)) as sim:
        first = _listing(sim)
        assert [i["id"] for i in first["items"]] == ["a.xml", "b.xbrl"]
        (tmp_path / "0-late.xbrl").write_bytes(sample_bytes)
        later = _listing(sim, first["next_cursor"])
        assert [i["id"] for i in later["items"]] == ["0-late.xbrl"]
        assert _get(f"{sim.url}/returns/b.xbrl")[1] == sample_bytes


@pytest.fixture
def sample_bytes() -> bytes:
    from pathlib import Path

    return (Path(__file__).resolve().parent / "samples/sbr/VB-01_bd-rpt-ob-aangifte-2021.xbrl").read_bytes()
