"""Two runs of one job at once: the second waits for the first and reports what IT did — on both databases."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from sbrflow.models import Case, Client
from sbrflow.models.locks import LockBusy, database_lock
from sbrflow.tasks import crm_import, matching, planning
from sbrflow.tasks.crm_import import import_workbook
from sbrflow.tasks.demo import complete_demo_office, write_demo_workbook

RUN = date(2026, 11, 23)


def _twice(target, *args, **kwargs) -> list:
    """Run `target` in two threads that start together; their results (or exceptions) in finishing order."""
    results, start = [], threading.Barrier(2)

    def run():
        start.wait()
        try:
            results.append(target(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _slowed(monkeypatch, module, name: str, seconds: float = 1.0) -> None:
    """Make the job's inner step slow, so that without a lock the two runs certainly overlap."""
    original = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def _office() -> None:
    report = import_workbook(write_demo_workbook.fn())
    assert report.written
    complete_demo_office.fn()


def _count(model) -> int:
    from sbrflow.models.db import unit_of_work

    with unit_of_work() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_two_plans_at_once_create_each_case_once_and_the_second_reports_it_created_none(db, monkeypatch):
    _office()
    _slowed(monkeypatch, planning, "plan")
    first, second = _twice(planning.plan_periods_task.fn, RUN)
    assert isinstance(first, dict) and isinstance(second, dict), (first, second)
    created = [r["totals"]["created"] for r in (first, second)]
    assert created[0] == _count(Case) > 0 and created[1] == 0


def test_two_crm_imports_at_once_both_succeed_and_the_second_changes_nothing(db, monkeypatch, tmp_path):
    path = write_demo_workbook.fn()
    _slowed(monkeypatch, crm_import, "plan_changes")
    first, second = _twice(import_workbook, path)
    assert not isinstance(first, Exception) and not isinstance(second, Exception), (first, second)
    assert first.writes > 0 and second.writes == 0
    assert second.counts["clients"]["created"] == 0 and first.counts["clients"]["created"] == _count(Client)


def test_two_matching_passes_at_once_attach_each_return_once(db, monkeypatch):
    from sbrflow.models.matching import CaseDocument

    _office()
    planning.plan_periods_task.fn(RUN)
    _store_demo_returns()
    _slowed(monkeypatch, matching, "match_pending")
    first, second = _twice(matching.match_pending_returns.fn, RUN)
    assert isinstance(first, dict) and isinstance(second, dict), (first, second)
    assert first["matched"] > 0 and second["matched"] == 0
    assert _count(CaseDocument) == first["matched"]


def test_a_run_that_cannot_get_its_lock_in_time_says_which_run_holds_it(db, monkeypatch):
    monkeypatch.setenv("SBRFLOW_LOCK_WAIT", "0.3")
    from sbrflow.config.settings import get_settings

    get_settings.cache_clear()
    with database_lock("planning", holder="plan-periods flow run 'slow-snail'", wait=0):
        with pytest.raises(LockBusy, match="planning .* is busy: held by plan-periods flow run 'slow-snail'"):
            planning.plan_periods_task.fn(RUN)
    get_settings.cache_clear()


def _store_demo_returns() -> None:
    from sbrflow.integrations.simulator import SourceSimulator, returns_catalogue
    from sbrflow.tasks.demo import demo_returns
    from sbrflow.tasks.intake import add_source, poll_source_once

    with SourceSimulator(returns_catalogue(demo_returns(RUN), employees=1)) as sim:
        add_source("demo", url=sim.url)
        assert poll_source_once("demo")["new"] > 0
