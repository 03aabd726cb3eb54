"""Cell readers: the text of one non-empty, stripped cell → the value sbrflow stores.

Each raises ValueError (or a domain error, which is one) with a message in plain words. They see
the text pandas made of the cell: Excel numbers arrive as `1000044`, dates as `1980-05-01 00:00:00`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sbrflow.domain import identifiers, vocabulary
from sbrflow.domain.enums import Frequency

_EXCEL_FLOAT = re.compile(r"^(-?\d+)\.0+$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug included)
_CENT = Decimal("0.01")
_VAT_FREQUENCIES = (Frequency.MONTH, Frequency.QUARTER, Frequency.YEAR)
_PAYROLL_FREQUENCIES = (Frequency.MONTH, Frequency.FOUR_WEEKLY, Frequency.HALF_YEAR, Frequency.YEAR)


def text(value: str) -> str:
    """Free text, as typed (already stripped)."""
    return value


def code(value: str) -> str:
    """A number or code that is text to us: client/contact numbers, member codes (`1001.0` → `1001`)."""
    whole = _EXCEL_FLOAT.match(value)
    return whole.group(1) if whole else value


def phone(value: str) -> str:
    """A phone number; puts back what Excel takes from numbers typed without quotes."""
    digits = code(value)
    if digits.isdigit() and len(digits) == 9 and digits[0] != "0":
        return "0" + digits  # 0612345678 became the number 612345678
    if digits.isdigit() and len(digits) == 11 and digits.startswith("31"):
        return "+" + digits  # +31612345678 became the number 31612345678
    return value


def ibans(value: str) -> tuple[str, ...]:
    """One or more IBANs, separated by commas, semicolons or line breaks."""
    parts = [part for part in re.split(r"[,;\n]+", value) if part.strip()]
    return tuple(dict.fromkeys(identifiers.normalize_iban(part) for part in parts))


def vat_frequency(value: str) -> tuple[Frequency, int | None] | None:
    """Aangifte BTW: Maand, Kwartaal (optionally shifted), Jaar; `Geen`/empty = not taken."""
    parsed = vocabulary.parse_filing_frequency(value)
    if parsed is not None and parsed[0] not in _VAT_FREQUENCIES:
        raise ValueError(
            f"'{value}' is not a filing frequency for VAT returns; use Maand, Kwartaal, "
            "Kwartaal feb-apr, Kwartaal mrt-mei or Jaar, or leave it empty when the client does not take it"
        )
    return parsed


def payroll_frequency(value: str) -> Frequency | None:
    """Aangifte loonheffingen: Maand, 4-weken, Halfjaar (binnenschippers) or Jaar; `Geen`/empty = not taken."""
    parsed = vocabulary.parse_filing_frequency(value)
    if parsed is not None and parsed[0] not in _PAYROLL_FREQUENCIES:
        raise ValueError(
            f"'{value}' is not a filing frequency for payroll returns; use Maand, 4-weken, Halfjaar or Jaar, "
            "or leave it empty when the client does not take it"
        )
    return None if parsed is None else parsed[0]


def yes_no(value: str) -> bool:
    """Ja/Nee and friends (see vocabulary.parse_bool)."""
    return vocabulary.parse_bool(value)


def day(value: str) -> date:
    """A date: an Excel date cell, dd-mm-yyyy (also / or .), yyyy-mm-dd, yyyymmdd or an Excel serial."""
    try:
        iso = _ISO_DATE.match(value)
        if iso:
            return date.fromisoformat(iso.group(1))
        dutch = _DUTCH_DATE.match(value)
        if dutch:
            return date(int(dutch.group(3)), int(dutch.group(2)), int(dutch.group(1)))
        number = code(value)
        if number.isdigit() and len(number) == 8:
            return datetime.strptime(number, "%Y%m%d").date()
        if number.isdigit() and len(number) <= 6 and int(number) > 0:
            # a date cell whose format was lost shows its serial number, e.g. 29342
            return _EXCEL_EPOCH + timedelta(days=int(number))
    except ValueError:
        pass  # a day or month out of range: same message as any other non-date
    raise ValueError(f"'{value}' is not a date; write it as dd-mm-jjjj, e.g. 01-05-1980")


def share(value: str) -> Decimal:
    """Aandelenbelang in percent, 0–100, two decimals: `25`, `25%`, `25,5`, or 0.25 from a % cell."""
    has_percent = "%" in value
    number = value.replace("%", "").replace(" ", "")
    number = number.replace(".", "").replace(",", ".") if "," in number and "." in number else number.replace(",", ".")
    try:
        percent = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a percentage; write a number from 0 to 100, e.g. 25 or 33,33") from None
    if not percent.is_finite():
        raise ValueError(f"'{value}' is not a percentage; write a number from 0 to 100, e.g. 25 or 33,33")
    # A cell formatted as percentage stores 25 % as 0.25; a share below 1 % is written as text "0,5%".
    if not has_percent and 0 < percent < 1:
        percent *= 100
    if percent < 0 or percent > 100:
        raise ValueError(f"'{value}' is not a share between 0 and 100 percent")
    return percent.quantize(_CENT)


def share_text(percent: Decimal) -> str:
    """Write a share so that `share()` reads it back unchanged (shares below 1 % get a % sign)."""
    plain = format(percent.normalize(), "f")
    return f"{plain}%" if 0 < percent < 1 else plain


def postcode(value: str) -> str:
    """A Dutch postcode, checked with python-stdnum (`1234ab` → `1234 AB`); a foreign one is kept as written."""
    from stdnum.exceptions import ValidationError
    from stdnum.nl import postcode as nl_postcode

    compact = value.replace(" ", "").upper()
    if not re.fullmatch(r"\d{4}[A-Z]+", compact):
        return value  # digits only (Belgium, Germany …) or another country's form
    try:
        return nl_postcode.validate(compact)
    except ValidationError:
        raise ValueError(f"'{value}' is not a Dutch postcode; write four digits and two letters, "
                         "e.g. 1234 AB (never starting with 0, never SA, SD or SS)") from None


def country(value: str) -> str:
    """A two-letter country code (NL, BE, DE …)."""
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"'{value}' is not a two-letter country code, e.g. NL or BE")
    return code


# CSV injection (OWASP): a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = tuple(FORMULA_TRIGGERS) + ("'",)


def formula_safe(value: object) -> object:
    """A CSV value a spreadsheet shows as text: a leading ' before a formula trigger (undone by `from_formula_safe`).

    A value that itself starts with ' followed by a trigger or ' gets one more, so that the round trip is
    exact; "'t Hooft" stays as it is.
    """
    if isinstance(value, str) and value and (
            value.startswith(FORMULA_TRIGGERS) or (value[0] == "'" and value[1:2] in _ESCAPED and value[1:2])):
        return "'" + value
    return value


def from_formula_safe(text: str) -> str:
    """Undo `formula_safe` on a cell read from a CSV file."""
    return text[1:] if text[:1] == "'" and text[1:2] in _ESCAPED and text[1:2] else text
