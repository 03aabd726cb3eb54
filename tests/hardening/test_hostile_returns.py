"""Hostile SBR documents: foreign roots, wrong check digits, millions of elements, files too large to read."""

from __future__ import annotations

import time
import tracemalloc
from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sbrflow.integrations.sbr.generate import payroll_return_xml, vat_return_xbrl
from sbrflow.integrations.sbr.parser import InvalidReturnDocument, parse_return

GOOD_OB = "001000044B37"


def _vat(ob: str = GOOD_OB) -> bytes:
    return vat_return_xbrl(ob, date(2025, 1, 1), date(2025, 1, 31))


def _rejected(data: bytes, **options) -> InvalidReturnDocument:
    with pytest.raises(InvalidReturnDocument) as refused:
        parse_return(data, **options)
    return refused.value


def test_an_xbrl_root_in_a_foreign_namespace_is_not_a_vat_return():
    data = _vat().replace(b"http://www.xbrl.org/2003/instance", b"http://evil.example/instance")
    error = _rejected(data)
    assert error.code == "wrong_type" and "not an XBRL instance" in str(error)


def test_a_wrong_check_digit_in_an_ob_nummer_says_so_without_quoting_the_number():
    error = _rejected(_vat("001000045B37"))  # 001000044 passes the elfproef, 001000045 does not
    assert error.code == "bad_check_digit"
    assert "check digit is wrong" in str(error) and "001000045" not in str(error)


def test_a_wrong_check_digit_in_a_loonheffingennummer_says_so():
    data = payroll_return_xml("111222334L01", date(2025, 1, 1), date(2025, 1, 31))
    assert _rejected(data).code == "bad_check_digit"


def test_a_document_of_a_million_empty_elements_is_refused_quickly_in_little_memory():
    data = _vat().replace(b"</xbrli:xbrl>", b"<x/>" * 1_000_000 + b"</xbrli:xbrl>")
    tracemalloc.start()
    started = time.monotonic()
    error = _rejected(data)
    took, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert error.code == "too_large" and "more than 250,000 elements" in str(error)
    assert peak < 64 * 2**20 and took < 30  # (≈ 1.5 s on an idle machine)


def test_a_document_cut_at_the_limit_is_not_given_a_made_up_size():
    error = _rejected(b"<x>" + b" " * 4997, max_bytes=4999)  # what a reader stopping at the limit hands over
    assert str(error) == "document is larger than the 4,999 bytes limit"
    error = _rejected(b"<x>" + b" " * 6000, max_bytes=4999)
    assert str(error) == "document is 6,003 bytes, larger than the 4,999 bytes limit"


def test_returns_parse_checks_the_size_before_reading_the_file(tmp_path):
    from sbrflow.cli.main import app

    huge = tmp_path / "huge.xbrl"
    with huge.open("wb") as handle:  # sparse: 1 GiB on paper, nothing on disk
        handle.truncate(2**30)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["returns", "parse", str(huge)])
    assert result.exit_code == 2
    assert "document is 1024.0 MiB, larger than the 32.0 MiB limit" in result.output
    assert time.monotonic() - started < 5


def test_intake_keeps_a_return_with_a_wrong_check_digit_as_rejected_with_that_reason(db, tmp_path):
    from sbrflow.models.db import unit_of_work
    from sbrflow.models.returns import TaxReturnDocument
    from sbrflow.tasks.intake import add_source, poll_source_once

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "typo.xbrl").write_bytes(_vat("001000045B37"))
    add_source("scans", folder=str(inbox))
    assert poll_source_once("scans")["rejected"] == 1
    with unit_of_work() as session:
        assert session.scalar(sa.select(TaxReturnDocument.reason_code)) == "bad_check_digit"
