"""The betalingskenmerk: the 16-digit reference a client pays an OB or LH return with.

Layout (DESIGN.md, "Payment reference"; Odoo's l10n_nl_reports builds the same one). The check
digit is the modulus 11 of Betaalvereniging Nederland's "Specificaties NL betalingskenmerk".

    C  NNNNNNNN  T  Y  SS  PP  0
    |  |         |  |  |   |   fixed 0
    |  |         |  |  |   period code (TaxPeriod.period_code)
    |  |         |  |  the 2 digits after the B or L
    |  |         |  last digit of the period's year
    |  |         tax code: 1 = OB, 6 = LH
    |  first 8 of the 9 digits of the RSIN/BSN (the 9th is its own check digit)
    check digit over the 15 digits that follow
"""

from __future__ import annotations

import re

from sbrflow.domain.enums import Tax
from sbrflow.domain.errors import InvalidIdentifier
from sbrflow.domain.identifiers import normalize_ob_number, normalize_payroll_tax_number
from sbrflow.domain.periods import TaxPeriod

TAX_CODES = {Tax.OB: "1", Tax.LH: "6"}
# Weights for the 15 digits, rightmost digit first.
_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1, 2, 4, 8, 5, 10)
_WHICH = {Tax.OB: ("ob_number", "B", "an OB-nummer"), Tax.LH: ("payroll_tax_number", "L", "a loonheffingennummer")}


def check_digit(digits: str) -> str:
    """The modulus-11 check digit over the 15 digits after it: 11 − sum mod 11, 10 → 1, 11 → 0."""
    if len(digits) != 15 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"a betalingskenmerk check digit is computed over 15 digits, not {digits!r}")
    total = sum(int(d) * w for d, w in zip(reversed(digits), _WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "1", 11: "0"}.get(value, str(value))


def normalize_fiscal_id(fiscal_id: object, tax: Tax | str) -> str:
    """The OB-nummer (tax OB) or loonheffingennummer (tax LH) in stored form; elfproef-checked."""
    tax = Tax(str(tax).upper())
    kind, letter, wanted = _WHICH[tax]
    text = re.sub(r"[\s.\-]+", "", str(fiscal_id)).upper()
    other = "L" if letter == "B" else "B"
    if re.fullmatch(rf"(NL)?\d+{other}\d\d", text):
        raise InvalidIdentifier(
            kind,
            str(fiscal_id),
            f"it has the letter {other}",
            f"{fiscal_id!r} cannot be used for a {tax.value} payment: it has the letter {other}, "
            f"but {tax.value} is paid with {wanted} (9 digits, {letter}, 2 digits).",
        )
    if tax is Tax.OB:
        return normalize_ob_number(fiscal_id)
    return normalize_payroll_tax_number(fiscal_id)


def payment_reference(fiscal_id: object, period: TaxPeriod, tax: Tax | str) -> str:
    """The 16-digit betalingskenmerk for this OB-nummer or loonheffingennummer, period and tax."""
    code = period.period_code(tax)  # first: it rejects an unknown tax or a period the tax lacks
    tax = Tax(str(tax).upper())
    number = normalize_fiscal_id(fiscal_id, tax)  # e.g. 001000044B37
    body = number[:8] + TAX_CODES[tax] + str(period.year % 10) + number[-2:] + code + "0"
    return check_digit(body) + body


def format_payment_reference(reference: str) -> str:
    """Group the 16 digits in fours, as the Belastingdienst prints them: `1234 5678 9012 3456`."""
    return " ".join(reference[i : i + 4] for i in range(0, 16, 4))
