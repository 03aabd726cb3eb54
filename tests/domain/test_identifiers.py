"""Rules for Dutch identifiers as offices type them (DESIGN.md, "Identifiers")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn, btw

from sbrflow.domain.errors import SbrflowError
from sbrflow.domain.identifiers import (
    InvalidIdentifier,
    mask_bsn,
    mask_identifier,
    normalize_bsn,
    normalize_email,
    normalize_iban,
    normalize_kvk,
    normalize_ob_number,
    normalize_payroll_tax_number,
    normalize_rsin,
    normalize_vat_id,
)


def test_an_rsin_that_excel_turned_into_a_number_gets_its_leading_zeros_back():
    assert normalize_rsin("1000044") == "001000044"
    assert normalize_rsin(1000044) == "001000044"


def test_an_rsin_that_went_through_a_float_loses_the_trailing_point_zero():
    assert normalize_rsin("1000044.0") == "001000044"
    assert normalize_rsin(1000044.0) == "001000044"


def test_an_rsin_with_dots_and_spaces_is_compacted():
    assert normalize_rsin(" 0010.00.044 ") == "001000044"


def test_an_rsin_that_fails_the_elfproef_is_rejected_with_the_reason_and_an_example():
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_rsin("123456789")
    assert caught.value.kind == "rsin"
    assert caught.value.value == "123456789"
    assert "elfproef" in caught.value.reason
    assert str(caught.value) == (
        "RSIN '123456789' is not valid: it fails the elfproef (the check on the 9 digits), so a digit is "
        "probably mistyped. A valid RSIN is 9 digits that pass the elfproef, e.g. 001000044."
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "it is empty"),
        ("12345678901", "the RSIN has 11 digits instead of 9"),
        ("12345", "the RSIN has only 5 digits instead of 9"),
        ("00100004A", "it may only contain digits"),
        ("000000000", "it is all zeros"),
    ],
)
def test_an_rsin_of_the_wrong_shape_says_what_is_wrong(value, reason):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_rsin(value)
    assert caught.value.reason == reason


def test_a_valid_bsn_is_returned_as_nine_digits():
    assert normalize_bsn("11 12 22 333") == "111222333"


def test_an_invalid_bsn_never_shows_up_unmasked_in_the_message():
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_bsn("123456789")
    assert "123456789" not in str(caught.value)
    assert "*****6789" in str(caught.value)


def test_invalid_identifier_is_an_sbrflow_error_and_a_value_error():
    assert issubclass(InvalidIdentifier, SbrflowError)
    assert issubclass(InvalidIdentifier, ValueError)


def test_an_ob_number_typed_with_nl_dots_spaces_and_lower_case_is_normalised():
    assert normalize_ob_number("nl 0010.00.044.b37") == "001000044B37"


def test_an_ob_number_that_lost_its_leading_zeros_gets_them_back():
    assert normalize_ob_number("1000044B37") == "001000044B37"


def test_a_sole_traders_btw_id_in_the_ob_number_column_is_explained():
    # NL002455799B11 is valid only by mod 97: a btw-id since 2020, not an OB-nummer.
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_ob_number("NL002455799B11")
    assert "btw-id" in caught.value.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("001000044", "the letter B and the 2 digits after it are missing"),
        ("001000044L01", "it looks like a loonheffingennummer (with L), which belongs in another column"),
        ("001000044B3", "it needs exactly 2 digits after the B"),
        ("001000044B00", "the 2 digits after the B start at 01, 00 is not used"),
        ("123456789B01", "it fails the elfproef (the check on the 9 digits), so a digit is probably mistyped"),
    ],
)
def test_an_ob_number_of_the_wrong_shape_says_what_is_wrong(value, reason):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_ob_number(value)
    assert caught.value.reason == reason


def test_a_vat_id_passes_on_the_elfproef_and_keeps_nl():
    assert normalize_vat_id("nl 0010.00.044.b37") == "NL001000044B37"


def test_a_sole_traders_vat_id_passes_on_mod_97():
    assert normalize_vat_id("NL002455799B11") == "NL002455799B11"


def test_a_vat_id_without_nl_gets_it():
    assert normalize_vat_id("001000044B37") == "NL001000044B37"


def test_a_vat_id_failing_both_checks_is_rejected():
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_vat_id("NL123456789B90")
    assert caught.value.kind == "vat_id"
    assert "check digits" in caught.value.reason


def test_a_payroll_tax_number_is_nine_digits_l_and_two_digits():
    assert normalize_payroll_tax_number("111222333L01") == "111222333L01"
    assert normalize_payroll_tax_number(" 1000044 l 01 ") == "001000044L01"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("001000044B37", "it looks like an OB-nummer (with B), which belongs in another column"),
        ("123456789L01", "it fails the elfproef (the check on the 9 digits), so a digit is probably mistyped"),
        ("111222333L00", "the 2 digits after the L start at 01, 00 is not used"),
        ("111222333", "the letter L and the 2 digits after it are missing"),
    ],
)
def test_a_payroll_tax_number_of_the_wrong_shape_says_what_is_wrong(value, reason):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_payroll_tax_number(value)
    assert caught.value.reason == reason


def test_a_kvk_number_is_eight_digits_and_gets_back_one_leading_zero():
    assert normalize_kvk("12345678") == "12345678"
    assert normalize_kvk("1234567") == "01234567"
    assert normalize_kvk(1234567.0) == "01234567"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("123456", "it has 6 digits instead of 8"),
        ("000012345678", "it has 12 digits, like a vestigingsnummer; the KvK-nummer has 8"),
        ("1234567a", "it may only contain digits"),
    ],
)
def test_a_kvk_number_of_the_wrong_shape_is_rejected(value, reason):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_kvk(value)
    assert caught.value.reason == reason


def test_an_iban_is_returned_compact_and_upper_case():
    assert normalize_iban("nl91 abna 0417 1643 00") == "NL91ABNA0417164300"


def test_an_iban_with_a_typo_fails_mod_97():
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_iban("NL91ABNA0417164301")
    assert caught.value.kind == "iban"
    assert "check digits" in caught.value.reason


def test_an_email_address_is_trimmed_and_lower_cased():
    assert normalize_email("  Jan.de.Vries@Bakkerij-DeVries.NL ") == "jan.de.vries@bakkerij-devries.nl"


@pytest.mark.parametrize("value", ["jan", "jan@", "@kantoor.nl", "jan@kantoor", "jan de vries@kantoor.nl",
                                   "jan@@kantoor.nl", "jan..vries@kantoor.nl", "jan@kantoor..nl", "jan@-kantoor.nl"])
def test_an_email_address_with_broken_syntax_is_rejected(value):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_email(value)
    assert caught.value.kind == "email"


def test_a_bsn_is_masked_to_its_last_four_digits():
    assert mask_bsn("111222333") == "*****2333"
    assert mask_bsn("1000044") == "***0044"


def test_any_identifier_can_be_masked_for_logs():
    assert mask_identifier("001000044B37") == "********4B37"
    assert mask_identifier("123") == "***"


@settings(max_examples=200, deadline=None)
@given(digits=st.text("0123456789", min_size=9, max_size=9), suffix=st.text("0123456789", min_size=2, max_size=2))
def test_the_vat_id_check_agrees_with_stdnum_nl_btw(digits, suffix):
    number = f"NL{digits}B{suffix}"
    try:
        normalize_vat_id(number)
        accepted = True
    except InvalidIdentifier:
        accepted = False
    assert accepted == btw.is_valid(number)


@settings(max_examples=200, deadline=None)
@given(digits=st.text("0123456789", min_size=9, max_size=9))
def test_the_rsin_and_bsn_check_agrees_with_stdnum_nl_bsn(digits):
    try:
        normalize_rsin(digits)
        accepted = True
    except InvalidIdentifier:
        accepted = False
    assert accepted == bsn.is_valid(digits)


@pytest.mark.parametrize("value", ["BE71096123456769", "DE89370400440532013000", "GB82WEST12345698765432",
                                   "NL02ABNA0123456789"])
def test_ibans_of_other_countries_pass_their_own_format_and_checks(value):
    assert normalize_iban(value) == value


@pytest.mark.parametrize("value", ["NL91ABNA04171643", "NL91ABNA041716430X", "BE71096123456760", "XX12345678"])
def test_an_iban_that_does_not_fit_its_country_is_rejected(value):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_iban(value)
    assert caught.value.kind == "iban"
