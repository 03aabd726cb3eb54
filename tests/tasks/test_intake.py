"""Intake stores every document exactly once, keeps rejected ones, and survives faults and crashes."""

from __future__ import annotations

import hashlib
import logging
from datetime import date

import pytest
import sqlalchemy as sa

from sbrflow.config.settings import get_settings
from sbrflow.integrations.sbr.generate import fake_payroll, payroll_return_xml, vat_return_xbrl
from sbrflow.integrations.simulator import Entry, Faults, SourceSimulator, generated_catalogue
from sbrflow.integrations.source_packages import TransientSourceError
from sbrflow.integrations.source_packages.http import HttpSourceClient
from sbrflow.models.db import unit_of_work
from sbrflow.models.returns import DocumentStatus, SourcePackage, TaxReturnDocument
from sbrflow.tasks import intake
from sbrflow.tasks.intake import add_source, poll_source_once, read_document_bytes, store_page


@pytest.fixture(autouse=True)
def _quick_http(monkeypatch):
    monkeypatch.setenv("SBRFLOW_SOURCE_HTTP_BACKOFF", "0")
    monkeypatch.setenv("SBRFLOW_SOURCE_HTTP_RETRIES", "8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _rows() -> list[tuple[str, str, str]]:
    with unit_of_work() as session:
        return sorted(session.execute(sa.select(
            TaxReturnDocument.source_reference, TaxReturnDocument.sha256, TaxReturnDocument.status
        )).all())


def _served(sim: SourceSimulator) -> set[str]:
    return {hashlib.sha256(sim.feed.document(e.id)).hexdigest() for e in sim.feed.catalogue.snapshot()}


def test_every_document_is_stored_once_and_the_cursor_moves_past_it(db):
    with SourceSimulator(generated_catalogue(23, employees=2)) as sim:
        add_source("sim", url=sim.url)
        first = poll_source_once("sim", page_size=5)
        second = poll_source_once("sim", page_size=5)
    assert (first["new"], first["duplicate"], first["rejected"], first["pages"]) == (23, 0, 0, 5)
    assert (second["new"], second["pages"]) == (0, 1)
    assert {sha for _, sha, _ in _rows()} == _served(sim)
    with unit_of_work() as session:
        assert session.scalar(sa.select(SourcePackage.cursor)) == "23"
        doc = session.scalars(sa.select(TaxReturnDocument).where(TaxReturnDocument.tax == "LH")).first()
        assert doc.fiscal_id.endswith("L01") and doc.amount_due > 0 and doc.period_start.day == 1
        assert hashlib.sha256(read_document_bytes(doc)).hexdigest() == doc.sha256


def test_new_documents_after_the_cursor_are_picked_up_by_the_next_poll(db):
    catalogue = generated_catalogue(4, vat_share=1.0)
    with SourceSimulator(catalogue) as sim:
        add_source("sim", url=sim.url)
        poll_source_once("sim")
        late = vat_return_xbrl("001000044B37", date(2026, 1, 1), date(2026, 1, 31))
        catalogue.add(Entry("late", "late.xbrl", lambda: late))
        assert poll_source_once("sim")["new"] == 1
    assert len(_rows()) == 5


def test_faults_end_with_the_same_rows_and_nothing_lost(db):
    faults = Faults(error_rate=0.15, slow_rate=0.02, slow_seconds=0.05, malformed_rate=0.1,
                    duplicate_rate=0.1, changing_pages=True, seed=3)
    with SourceSimulator(generated_catalogue(50, employees=2, seed=4), faults=faults) as sim:
        add_source("sim", url=sim.url)
        result = poll_source_once("sim", page_size=7)
        poll_source_once("sim", page_size=7)
    rows = _rows()
    assert {sha for _, sha, _ in rows} == _served(sim)
    assert len(rows) == 50 == result["new"] + result["rejected"]
    assert result["rejected"] == sum(status is DocumentStatus.REJECTED for *_, status in rows) > 0
    assert result["duplicate"] > 0 and sim.stats.errors_injected > 0


def test_a_crash_after_some_pages_loses_nothing_and_stores_nothing_twice(db, monkeypatch):
    real = HttpSourceClient.list_returns
    calls = {"n": 0}

    def crash_on_third_page(self, cursor, limit):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(self, cursor, limit)

    with SourceSimulator(generated_catalogue(20, employees=1)) as sim:
        add_source("sim", url=sim.url)
        monkeypatch.setattr(HttpSourceClient, "list_returns", crash_on_third_page)
        with pytest.raises(RuntimeError):
            poll_source_once("sim", page_size=4)
        assert len(_rows()) == 8  # two whole pages committed, with their cursor
        monkeypatch.setattr(HttpSourceClient, "list_returns", real)
        rerun = poll_source_once("sim", page_size=4)
    assert rerun["new"] == 12 and rerun["duplicate"] == 0
    assert {sha for _, sha, _ in _rows()} == _served(sim)


def test_a_crash_inside_a_page_rolls_back_its_documents_with_its_cursor(db, monkeypatch):
    real_update = sa.update
    calls = {"n": 0}

    def update_that_dies_on_the_second_page(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed between the inserts and the cursor")
        return real_update(*args, **kwargs)

    with SourceSimulator(generated_catalogue(9, employees=1)) as sim:
        add_source("sim", url=sim.url)
        monkeypatch.setattr(intake.sa, "update", update_that_dies_on_the_second_page)
        with pytest.raises(RuntimeError):
            poll_source_once("sim", page_size=4)
        monkeypatch.setattr(intake.sa, "update", real_update)
        assert len(_rows()) == 4
        assert poll_source_once("sim", page_size=4)["new"] == 5
    assert len(_rows()) == 9


def test_the_same_document_under_another_reference_counts_as_a_duplicate(db):
    data = vat_return_xbrl("001000044B37", date(2025, 1, 1), date(2025, 1, 31))
    catalogue = generated_catalogue(0)
    catalogue.add(Entry("first", "a.xbrl", lambda: data))
    catalogue.add(Entry("resent", "b.xbrl", lambda: data))
    with SourceSimulator(catalogue) as sim:
        add_source("sim", url=sim.url)
        result = poll_source_once("sim")
    assert (result["new"], result["duplicate"]) == (1, 1)
    assert [ref for ref, *_ in _rows()] == ["first"]


def test_a_rejected_document_is_kept_with_its_reason(db):
    catalogue = generated_catalogue(0)
    catalogue.add(Entry("broken", "broken.xbrl", lambda: b"<xbrli:xbrl"))
    catalogue.add(Entry("letter", "letter.xml", lambda: b"<brief>Beste klant</brief>"))
    with SourceSimulator(catalogue) as sim:
        add_source("sim", url=sim.url)
        assert poll_source_once("sim")["rejected"] == 2
    with unit_of_work() as session:
        docs = {d.source_reference: d for d in session.scalars(sa.select(TaxReturnDocument))}
        assert docs["broken"].status is DocumentStatus.REJECTED and "truncated" in docs["broken"].reason
        assert docs["letter"].reason_code == "wrong_type" and docs["letter"].content == b"<brief>Beste klant</brief>"


def test_a_return_of_a_tax_the_source_does_not_deliver_is_rejected(db):
    with SourceSimulator(generated_catalogue(10, employees=1)) as sim:
        add_source("sim", url=sim.url, taxes="OB")
        result = poll_source_once("sim")
    assert (result["new"], result["rejected"]) == (9, 1)


def test_large_documents_are_kept_content_addressed_under_var(db, monkeypatch, tmp_path):
    monkeypatch.setenv("SBRFLOW_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SBRFLOW_DOCUMENT_INLINE_MAX_BYTES", "10000")
    get_settings.cache_clear()
    with SourceSimulator(generated_catalogue(10, employees=8)) as sim:
        add_source("sim", url=sim.url)
        poll_source_once("sim")
    with unit_of_work() as session:
        payroll = session.scalars(sa.select(TaxReturnDocument).where(TaxReturnDocument.tax == "LH")).one()
        assert payroll.content is None and payroll.content_path.endswith(payroll.sha256)
        assert hashlib.sha256(read_document_bytes(payroll)).hexdigest() == payroll.sha256


def test_a_page_is_not_stored_when_another_run_moved_the_cursor(db):
    source, _ = add_source("sim", url="http://127.0.0.1:1/api/v1")
    data = vat_return_xbrl("001000044B37", date(2025, 1, 1), date(2025, 1, 31))
    from sbrflow.integrations.source_packages import ReturnRef

    assert store_page(source.id, None, "1", [(ReturnRef("a"), data)]).new == 1
    stale = store_page(source.id, None, "2", [(ReturnRef("b"), data + b" ")])
    assert stale.cursor_moved_elsewhere and len(_rows()) == 1


def test_a_source_that_stays_down_raises_a_transient_error(db):
    with SourceSimulator(generated_catalogue(3), faults=Faults(error_rate=1.0)) as sim:
        add_source("sim", url=sim.url)
        with pytest.raises(TransientSourceError):
            poll_source_once("sim")


def test_no_employee_bsn_reaches_a_log_line(db, caplog):
    payroll = [fake_payroll(lh, date(2025, m, 1), date(2025, m, 28), employees=5, seed=9)
               for lh in ("111222333L01", "123456782L01") for m in (1, 2)]
    catalogue = generated_catalogue(0)
    for p in payroll:
        data = payroll_return_xml(p.lh_number, p.current.start, p.current.end, employees=5, seed=9)
        catalogue.add(Entry(f"{p.lh_number}-{p.current.start}", "x.xml", lambda data=data: data))
    catalogue.add(Entry("broken", "broken.xml", lambda: payroll_return_xml(
        "111222333L01", date(2025, 3, 1), date(2025, 3, 31), employees=5, seed=9)[:3000]))
    bsns = {bsn for p in payroll for bsn in p.bsns}
    with caplog.at_level(logging.DEBUG):
        with SourceSimulator(catalogue) as sim:
            add_source("sim", url=sim.url)
            result = poll_source_once("sim", page_size=2)
    assert (result["new"], result["rejected"]) == (4, 1)
    assert caplog.records and len(bsns) >= 5
    text = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert not [bsn for bsn in bsns if bsn in text]
    with unit_of_work() as session:
        stored = " ".join(str(v) for v in session.execute(sa.select(
            TaxReturnDocument.reason, TaxReturnDocument.fiscal_id, TaxReturnDocument.message_ref)).all())
    assert not [bsn for bsn in bsns if bsn in stored]


def test_a_folder_drop_is_taken_in_once_and_its_files_moved_not_deleted(db, tmp_path):
    good = vat_return_xbrl("001000044B37", date(2025, 1, 1), date(2025, 1, 31))
    (tmp_path / "jan.xbrl").write_bytes(good)
    (tmp_path / "scan.xml").write_bytes(b"<not a return")
    add_source("drop", folder=str(tmp_path))
    result = poll_source_once("drop", page_size=1)
    assert (result["new"], result["rejected"]) == (1, 1)
    assert (tmp_path / "processed" / "jan.xbrl").read_bytes() == good
    assert (tmp_path / "rejected" / "scan.xml").exists() and not (tmp_path / "jan.xbrl").exists()
    (tmp_path / "jan.xbrl").write_bytes(good)  # dropped again by mistake
    again = poll_source_once("drop")
    assert (again["new"], again["duplicate"]) == (0, 1)
    assert (tmp_path / "processed" / "jan.1.xbrl").exists() and len(_rows()) == 2


def test_prefect_retries_only_transient_failures():
    from prefect.states import Failed

    from sbrflow.integrations.source_packages import PermanentSourceError

    assert intake._only_transient(None, None, Failed(data=TransientSourceError("503 again")))
    assert not intake._only_transient(None, None, Failed(data=PermanentSourceError("HTTP 401")))
    assert intake.poll_source.retries >= 1 and intake.poll_source.retry_condition_fn is intake._only_transient


def test_a_poll_killed_with_sigkill_mid_way_is_completed_by_the_next_run(db):
    import os
    import signal
    import subprocess
    import sys
    import time

    faults = Faults(slow_rate=1.0, slow_seconds=0.01)  # ~0.3 s a page: time to be killed in the middle
    with SourceSimulator(generated_catalogue(120, employees=1), faults=faults) as sim:
        add_source("sim", url=sim.url)
        worker = subprocess.Popen([sys.executable, "-c", "from sbrflow.tasks.intake import poll_source_once; "
                                   "poll_source_once('sim', page_size=10)"], env=os.environ.copy())
        deadline = time.monotonic() + 60
        while len(_rows()) < 20 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        stored_before = len(_rows())
        assert 0 < stored_before < 120
        poll_source_once("sim", page_size=10)
    assert {sha for _, sha, _ in _rows()} == _served(sim) and len(_rows()) == 120
