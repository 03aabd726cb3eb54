"""Rules of the SBR document generators: realistic, deterministic, and parsed back to their inputs."""

from __future__ import annotations

import calendar
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn

from sbrflow.domain.enums import Tax
from sbrflow.integrations.sbr.fake_payroll import fake_staff
from sbrflow.integrations.sbr.generate import (
    TAXONOMIES,
    fake_payroll,
    payroll_return_xml,
    vat_return_xbrl,
)
from sbrflow.integrations.sbr.parser import ReturnKind, parse_return

OB = "001000044B37"
LH = "111222333L01"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@st.composite
def periods(draw) -> tuple[date, date]:
    """A month, a quarter (also shifted), a four-weekly period or a year, 2020–2026."""
    year = draw(st.integers(2020, 2026))
    shape = draw(st.sampled_from(["month", "quarter", "four_weekly", "year"]))
    if shape == "month":
        return _month(year, draw(st.integers(1, 12)))
    if shape == "quarter":
        first = draw(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        return date(year, first, 1), _month(year, first + 2)[1]
    if shape == "four_weekly":
        start = date(year, 1, 1) + timedelta(days=28 * draw(st.integers(1, 11)))
        return start, start + timedelta(days=27)
    return date(year, 1, 1), date(year, 12, 31)


euros = st.integers(-2_000_000, 9_000_000)


@settings(max_examples=150, deadline=None)
@given(period=periods(), owed=st.integers(0, 9_000_000), on_input=st.integers(0, 9_000_000),
       release=st.sampled_from(sorted(TAXONOMIES.values())),
       scheme=st.sampled_from(["www.belastingdienst.nl/omzetbelastingnummer",
                               "http://www.belastingdienst.nl/omzetbelastingnummer"]))
def test_a_generated_vat_return_parses_back_to_its_inputs(period, owed, on_input, release, scheme):
    start, end = period
    data = vat_return_xbrl(OB, start, end, owed=owed, on_input=on_input, year_namespace=release, scheme=scheme,
                           software=("Boekhoud", "7.1"), message_ref="REF-1", created_at=datetime(2026, 1, 5, 9, 0))

    parsed = parse_return(data)

    assert (parsed.tax, parsed.kind, parsed.fiscal_id) == (Tax.OB, ReturnKind.RETURN, OB)
    assert (parsed.period_start, parsed.period_end) == (start, end)
    assert parsed.amount_due == Decimal(owed - on_input)
    assert parsed.total("ValueAddedTaxOwed") == owed and parsed.total("ValueAddedTaxOnInput") == on_input
    assert release in parsed.schema and parsed.schema.endswith(".xsd")
    assert (parsed.software, parsed.message_ref) == ("Boekhoud 7.1", "REF-1")
    assert parsed.created_at == datetime(2026, 1, 5, 9, 0)


@settings(max_examples=60, deadline=None)
@given(period=periods(), new=euros, previous=euros)
def test_a_generated_suppletie_parses_back_to_the_difference(period, new, previous):
    data = vat_return_xbrl(OB, *period, kind="correction", owed=max(new, 0), on_input=max(-new, 0), previous=previous)

    parsed = parse_return(data)

    assert parsed.kind is ReturnKind.CORRECTION
    assert (parsed.amount_due, parsed.amount_total) == (Decimal(new - previous), Decimal(new))


@settings(max_examples=40, deadline=None)
@given(period=periods(), release=st.sampled_from(sorted(TAXONOMIES.values())),
       lines=st.lists(st.tuples(st.sampled_from(["BE", "DE", "FR", "AT"]), st.from_regex(r"[0-9A-Z]{4,12}", fullmatch=True),
                                st.integers(0, 500_000), st.integers(0, 500_000)), max_size=6,
                      unique_by=lambda line: (line[0], line[1])))
def test_a_generated_icp_listing_parses_back_to_the_sum_of_its_lines(period, release, lines):
    parsed = parse_return(vat_return_xbrl(OB, *period, kind="icp", year_namespace=release, icp_lines=lines))

    assert parsed.kind is ReturnKind.ICP and parsed.amount_due == 0
    assert parsed.amount_total == sum(goods + services for _, _, goods, services in lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(period=periods(), employees=st.integers(0, 6), seed=st.integers(0, 10_000),
       kind=st.sampled_from(["full", "supplementary"]), corrected=st.integers(0, 2))
def test_a_generated_payroll_return_parses_back_to_its_figures(period, employees, seed, kind, corrected):
    start, end = period
    earlier = [(start - timedelta(days=31 * n), start - timedelta(days=31 * n - 20)) for n in range(1, corrected + 1)]
    payroll = fake_payroll(LH, start, end, employees=employees, kind=kind, corrections=earlier, seed=seed)
    data = payroll_return_xml(LH, start, end, employees=employees, kind=kind, corrections=earlier, seed=seed)

    parsed = parse_return(data)

    assert (parsed.tax, parsed.fiscal_id, parsed.period_start, parsed.period_end) == (Tax.LH, LH, start, end)
    assert parsed.kind is (ReturnKind.RETURN if kind == "full" else ReturnKind.SUPPLEMENTARY)
    assert (parsed.amount_due, parsed.amount_total) == (payroll.amount_due, payroll.amount_total)
    assert [(c.period_start, c.period_end, c.amount_due, c.balance) for c in parsed.corrected_periods] == [
        (p.start, p.end, Decimal(p.due), Decimal(saldo)) for p, saldo in payroll.corrections]
    assert parsed.schema.endswith(f"/Loonaangifte/{start.year}/01")
    assert parsed.message_ref == payroll.message_ref and parsed.software == "sbrflow-simulator 1.0"


def test_the_generated_vat_return_has_the_real_samples_structure():
    root = ET.fromstring(vat_return_xbrl(OB, date(2021, 10, 1), date(2021, 10, 31)))
    facts = [_local(child.tag) for child in root if "contextRef" in child.attrib]

    assert _local(root.tag) == "xbrl" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    assert [_local(child.tag) for child in root][:3] == ["schemaRef", "context", "unit"]
    assert root[1].get("id") == "Msg" and root[2].get("id") == "EUR"
    # The 11 message facts and 22 rubrieken of VB-01_bd-rpt-ob-aangifte-2021.xbrl.
    assert len(facts) == 33 and len(set(facts)) == 33
    assert {"DateTimeCreation", "MessageReferenceSupplierVAT", "SoftwarePackageName", "SoftwarePackageVersion",
            "SoftwareVendorAccountNumber", "ValueAddedTaxOwedToBePaidBack"} <= set(facts)
    assert all(child.get("decimals") == "INF" for child in root if child.get("unitRef") == "EUR")


def test_generated_documents_are_deterministic():
    month = _month(2025, 3)
    assert vat_return_xbrl(OB, *month) == vat_return_xbrl(OB, *month)
    assert vat_return_xbrl(OB, *month, kind="icp") == vat_return_xbrl(OB, *month, kind="icp")
    assert payroll_return_xml(LH, *month, seed=7) == payroll_return_xml(LH, *month, seed=7)
    assert payroll_return_xml(LH, *month, seed=7) != payroll_return_xml(LH, *month, seed=8)


def test_fake_bsns_pass_the_elfproef_and_are_unique_per_employer():
    for seed in range(25):
        staff = fake_staff(LH, 40, seed)
        bsns = [employee.bsn for employee in staff]
        assert len(set(bsns)) == 40
        assert all(stdnum_bsn.is_valid(bsn) for bsn in bsns)


def test_an_employer_keeps_its_staff_from_period_to_period():
    march = fake_payroll(LH, *_month(2025, 3), seed=3)
    april = fake_payroll(LH, *_month(2025, 4), seed=3)

    assert march.bsns == april.bsns and len(march.bsns) == 20
    assert march.amount_due != april.amount_due  # overtime differs per period


def test_a_correction_adds_the_forgotten_bonus_to_the_period_as_it_was_filed():
    march = fake_payroll(LH, *_month(2025, 3), seed=3)
    april = fake_payroll(LH, *_month(2025, 4), seed=3, corrections=[_month(2025, 3)])
    (corrected, saldo), = april.corrections

    assert corrected.due - march.current.due == saldo > 0
    assert april.amount_total == april.amount_due + saldo


def test_collective_totals_are_the_sums_of_the_wage_lines_cut_to_whole_euros():
    root = ET.fromstring(payroll_return_xml(LH, *_month(2025, 5), employees=12, seed=1))
    lines = [element for element in root.iter() if _local(element.tag) == "Werknemersgegevens"]
    collective = next(element for element in root.iter() if _local(element.tag) == "CollectieveAangifte")
    value = {_local(child.tag): Decimal(child.text) for child in collective}

    def total(field: str) -> int:
        return int(sum(Decimal(next(c.text for c in line if _local(c.tag) == field)) for line in lines))

    assert value["TotLnLbPh"] == total("LnLbPh") and value["IngLbPh"] == total("IngLbPh")
    assert value["TotWghZvw"] == total("WghZvw")
    assert value["TotTeBet"] == sum(value[name] for name in (
        "IngLbPh", "TotPrAofLg", "TotOpslWko", "TotPrGediffWhk", "TotPrAwfLg", "TotPrAwfHg", "IngBijdrZvw", "TotWghZvw"))
    assert value["TotGen"] == value["TotTeBet"]


def test_a_payroll_return_of_twenty_employees_is_a_realistic_size():
    data = payroll_return_xml(LH, *_month(2025, 1))

    assert 15_000 < len(data) < 60_000
    assert data.count(b"<InkomstenverhoudingInitieel>") == 20


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: vat_return_xbrl(OB, *_month(2025, 1), owed=Decimal("10.50")), "whole euros"),
        (lambda: vat_return_xbrl(OB, *_month(2025, 1), kind="aangifte"), "kind must be"),
        (lambda: payroll_return_xml(LH, *_month(2025, 1), kind="correction"), "kind must be"),
    ],
)
def test_the_generators_refuse_cents_and_unknown_kinds(call, message):
    with pytest.raises(ValueError, match=message):
        call()
