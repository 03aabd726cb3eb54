"""The betalingskenmerk: layout, check digit, and fiscal ids that cannot be paid with."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbrflow.domain.enums import Frequency, Tax
from sbrflow.domain.errors import InvalidIdentifier, InvalidPeriod, SbrflowError
from sbrflow.domain.payment_reference import (
    check_digit,
    format_payment_reference,
    normalize_fiscal_id,
    payment_reference,
)
from sbrflow.domain.periods import SUPPORTED, parse_label, period_for

OB_NUMBER = "001000044B37"  # RSIN 001000044 passes the elfproef: 9·0+8·0+7·1+…+2·4 − 4 = 0 mod 11
LH_NUMBER = "111222333L01"
WEIGHTS = "weights from the right: 2 4 8 5 10 9 7 3 6 1 2 4 8 5 10"


@pytest.mark.parametrize(
    ("fiscal_id", "tax", "frequency", "label", "expected"),
    [
        # 00100004 1 6 37 03 0 → digits from the right 0,3,0,7,3,6,1,4,0,0,0,0,1,0,0; with the
        # weights: 0+12+0+35+30+54+7+12+0+0+0+0+8+0+0 = 158; 158 mod 11 = 4; 11 − 4 = 7.
        (OB_NUMBER, "OB", "month", "2026-03", "7001000041637030"),
        # Q1 = period code 21: 0+4+16+35+30+54+7+12+0+0+0+0+8+0+0 = 166; 166 mod 11 = 1;
        # 11 − 1 = 10, which becomes 1.
        (OB_NUMBER, "OB", "quarter", "2026-Q1", "1001000041637210"),
        # February: 0+8+0+35+30+54+7+12+0+0+0+0+8+0+0 = 154 = 14 · 11; 11 − 0 = 11, which becomes 0.
        (OB_NUMBER, "OB", "month", "2026-02", "0001000041637020"),
        # Shifted quarter Nov 2025–Jan 2026: code 11 + 20 = 31, year digit of the start year 5:
        # 0,1,3,7,3,5,1,4,0,0,0,0,1,0,0 → 0+4+24+35+30+45+7+12+0+0+0+0+8+0+0 = 165 = 15 · 11 → 0.
        (OB_NUMBER, "OB", "quarter", "2025-Q4-FEB", "0001000041537310"),
        # Annual VAT 2025, code 40: 0,0,4,7,3,5,1,4,0,0,0,0,1,0,0 →
        # 0+0+32+35+30+45+7+12+0+0+0+0+8+0+0 = 169; 169 mod 11 = 4; 11 − 4 = 7.
        (OB_NUMBER, "OB", "year", "2025", "7001000041537400"),
        # LH, tax code 6, four-weekly P3 = code 73: 11122233 6 6 01 73 0 → from the right
        # 0,3,7,1,0,6,6,3,3,2,2,2,1,1,1 → 0+12+56+5+0+54+42+9+18+2+4+8+8+5+10 = 233;
        # 233 mod 11 = 2; 11 − 2 = 9.
        (LH_NUMBER, "LH", "four_weekly", "2026-P03", "9111222336601730"),
        # LH month March 2026: 0,3,0,1,0,6,6,3,3,2,2,2,1,1,1 →
        # 0+12+0+5+0+54+42+9+18+2+4+8+8+5+10 = 177; 177 mod 11 = 1 → 10 → 1.
        (LH_NUMBER, "LH", "month", "2026-03", "1111222336601030"),
    ],
)
def test_payment_reference_derived_by_hand(fiscal_id, tax, frequency, label, expected) -> None:
    assert payment_reference(fiscal_id, parse_label(label, frequency), tax) == expected


def test_check_digit_follows_the_modulus_11_rule() -> None:
    assert check_digit("001000041637030") == "7", WEIGHTS
    assert check_digit("001000041637210") == "1"  # 11 − 1 = 10 → 1
    assert check_digit("001000041637020") == "0"  # 11 − 0 = 11 → 0
    with pytest.raises(ValueError, match="15 digits"):
        check_digit("00100004163703")


@pytest.mark.parametrize("typed", [" 0010.00.044 b 37 ", "1000044B37", "001000044b37", "NL001000044B37", "0010 00 044 B 37"])
def test_an_ob_number_as_people_type_it_gives_the_same_reference(typed: str) -> None:
    period = parse_label("2026-03", Frequency.MONTH)
    assert payment_reference(typed, period, Tax.OB) == "7001000041637030"


def test_the_stored_form_of_a_fiscal_id_is_nine_digits_letter_two_digits() -> None:
    assert normalize_fiscal_id("1000044b37", "OB") == "001000044B37"
    assert normalize_fiscal_id("1112.22.333 l01", "LH") == "111222333L01"


def test_the_reference_is_printed_in_groups_of_four() -> None:
    assert format_payment_reference("7001000041637030") == "7001 0000 4163 7030"


@pytest.mark.parametrize(
    ("fiscal_id", "tax", "says"),
    [
        ("001000045B37", "OB", "elfproef"),
        ("111222334L01", "LH", "elfproef"),
        ("001000044", "OB", "letter B and the 2 digits after it are missing"),
        ("001000044B3", "OB", "exactly 2 digits after the B"),
        ("001000044B00", "OB", "00 is not used"),
        ("001000044B37", "LH", "it has the letter B, but LH is paid with a loonheffingennummer"),
        ("111222333L01", "OB", "it has the letter L, but OB is paid with an OB-nummer"),
        ("", "OB", "empty"),
        ("abc", "OB", "not digits"),
    ],
)
def test_a_fiscal_id_that_fails_its_check_is_refused_with_a_plain_message(fiscal_id: str, tax: str, says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says) as error:
        payment_reference(fiscal_id, parse_label("2026-03", Frequency.MONTH), tax)
    assert isinstance(error.value, SbrflowError)


def test_a_period_the_tax_is_not_filed_in_has_no_payment_reference() -> None:
    with pytest.raises(InvalidPeriod, match="OB has no four_weekly returns"):
        payment_reference(OB_NUMBER, period_for(Frequency.FOUR_WEEKLY, date(2026, 3, 1)), Tax.OB)


def _with_check_digit(first: str) -> str | None:
    """The elfproef check digit appended, or None when no digit works (remainder 10)."""
    last = sum((9 - i) * int(d) for i, d in enumerate(first)) % 11
    return first + str(last) if last < 10 else None


# 9-digit RSINs/BSNs that pass the elfproef.
fiscal_numbers = st.integers(1, 99_999_999).map(lambda n: _with_check_digit(f"{n:08d}")).filter(bool)


_KINDS = [(tax, frequency, start) for tax in Tax for frequency in SUPPORTED[tax] for start in (1, 2, 3)
          if start == 1 or frequency is Frequency.QUARTER]


@given(fiscal_numbers, st.integers(1, 99), st.sampled_from(_KINDS), st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_every_reference_has_16_digits_in_the_documented_layout(number, suffix, kind, day) -> None:
    tax, frequency, start = kind
    period = period_for(frequency, day, start)
    fiscal_id = f"{number}{'B' if tax is Tax.OB else 'L'}{suffix:02d}"
    reference = payment_reference(fiscal_id, period, tax)
    assert len(reference) == 16 and reference.isdigit()
    assert reference[1:9] == number[:8]
    assert reference[9] == {Tax.OB: "1", Tax.LH: "6"}[tax]
    assert reference[10] == str(period.year)[-1]
    assert reference[11:13] == f"{suffix:02d}"
    assert reference[13:15] == period.period_code(tax)
    assert reference[15] == "0"
    assert reference[0] == check_digit(reference[1:])
