"""The rubriek table (XBRL element → form line) against the real VB-01 sample and the parser."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sbrflow.domain.vat_form import known_elements, payroll_totals, suppletie_summary, vat_form
from sbrflow.integrations.sbr.parser import parse_return

SAMPLE = Path(__file__).resolve().parents[1] / "integrations" / "samples" / "sbr" / "VB-01_bd-rpt-ob-aangifte-2021.xbrl"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "samples" / "sbr" / "VB-01_bd-rpt-ob-aangifte-2021.xbrl"


def _sample() -> bytes:
    return (SHARED if SHARED.is_file() else SAMPLE).read_bytes()


def _lines(form) -> dict[str, tuple]:
    return {line.code: (line.turnover, line.vat) for section in form for line in section.lines}


def test_every_element_of_the_table_occurs_in_the_real_sample_return():
    parsed = parse_return(_sample())
    names = {name for name, _ in parsed.totals}
    assert known_elements() <= names, sorted(known_elements() - names)


def test_the_sample_reads_as_the_form_the_client_knows():
    lines = _lines(vat_form(dict(parse_return(_sample()).totals)))
    assert list(lines) == ["1a", "1b", "1c", "1d", "1e", "2a", "3a", "3b", "3c", "4a", "4b",
                           "5a", "5b", "5c", "5d", "5g"]
    assert lines["1a"] == (Decimal(15000), Decimal(3150))
    assert lines["1b"] == (Decimal(1500), Decimal(90))
    assert lines["3a"] == (Decimal(4000), None)
    assert lines["3c"] == (Decimal(100), None)
    assert lines["4a"] == (Decimal(1200), Decimal(0))
    assert lines["5a"] == (None, Decimal(3240))
    assert lines["5c"] == (None, Decimal(3240))  # 5a − 5b, computed
    assert lines["5g"] == (None, Decimal(3240))


def test_the_vat_of_1a_to_4b_adds_up_to_5a_in_the_sample():
    lines = _lines(vat_form(dict(parse_return(_sample()).totals)))
    vat = sum(v for code, (_, v) in lines.items() if code[0] in "1234" and v is not None)
    assert vat == lines["5a"][1]


def test_a_suppletie_shows_old_new_and_difference():
    summary = suppletie_summary({"ValueAddedTaxAmountTotalOld": Decimal(3240),
                                 "ValueAddedTaxAmountTotalNew": Decimal(3500),
                                 "ValueAddedTaxToBePaidAdditionalToBePaidBack": Decimal(260)})
    assert (summary.old_total, summary.new_total, summary.difference) == (Decimal(3240), Decimal(3500), Decimal(260))
    assert suppletie_summary({"ValueAddedTaxAmountTotalOld": Decimal(10),
                              "ValueAddedTaxAmountTotalNew": Decimal(4)}).difference == Decimal(-6)


def test_payroll_shows_only_collective_totals():
    shown = payroll_totals({"TotTeBet": Decimal(5000), "TotGen": Decimal(5100), "LnLbPh": Decimal(1)})
    assert [amount for _, amount in shown] == [Decimal(5000), Decimal(5100)]
