"""Tax periods (aangiftetijdvakken), their labels, deadlines and the Algemene termijnenwet shift.

Labels sort chronologically within one frequency and parse back with `parse_label`:
month `2026-03`, quarter `2026-Q1`, half year `2026-H1`, year `2026`, four-weekly `2026-P04`.
A shifted quarter (gebroken kwartaal) carries its start month, so it can never be mistaken for a
calendar quarter in a list, a case or a unique key: `2026-Q1-FEB` is Feb–Apr 2026, `2026-Q4-FEB`
is Nov 2026–Jan 2027, `2026-Q1-MAR` is Mar–May 2026. The year in a label is the year the period
starts in, and quarters count from the client's first quarter start month.

Pure: no clock and no I/O; the public-holiday calendar comes from the `holidays` package.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta
from functools import lru_cache

import holidays
from holidays.constants import OPTIONAL, PUBLIC

from sbrflow.domain.enums import Frequency, Tax
from sbrflow.domain.errors import InvalidPeriod, PlanningError

_ONE_DAY = timedelta(days=1)
_PER_YEAR = {
    Frequency.MONTH: 12,
    Frequency.QUARTER: 4,
    Frequency.HALF_YEAR: 2,
    Frequency.YEAR: 1,
    Frequency.FOUR_WEEKLY: 13,
}
# Calendar-based periods: months per period, counted from the (shifted) quarter start month.
_MONTHS_PER_PERIOD = {Frequency.MONTH: 1, Frequency.QUARTER: 3, Frequency.HALF_YEAR: 6, Frequency.YEAR: 12}
_SHIFT_NAMES = {2: "FEB", 3: "MAR"}
_LABEL_FORMATS = {
    Frequency.MONTH: "{y:04d}-{n:02d}",
    Frequency.QUARTER: "{y:04d}-Q{n}{shift}",
    Frequency.HALF_YEAR: "{y:04d}-H{n}",
    Frequency.YEAR: "{y:04d}",
    Frequency.FOUR_WEEKLY: "{y:04d}-P{n:02d}",
}
# The return periods each tax knows. OB: month, quarter (also shifted), year. LH: month or four
# weeks; a half year for the crew of inland-shipping skippers; a year for household staff and
# children who help (Handboek loonheffingen, "aangiftetijdvak"). Other pairs have no deadline rule
# and no period code, so asking for one is an error rather than a guess.
SUPPORTED: dict[Tax, frozenset[Frequency]] = {
    Tax.OB: frozenset({Frequency.MONTH, Frequency.QUARTER, Frequency.YEAR}),
    Tax.LH: frozenset({Frequency.MONTH, Frequency.FOUR_WEEKLY, Frequency.HALF_YEAR, Frequency.YEAR}),
}


def _frequency(value: Frequency | str) -> Frequency:
    try:
        return Frequency(value)
    except ValueError:
        allowed = ", ".join(f.value for f in Frequency)
        raise InvalidPeriod(f"unknown frequency {value!r}; use one of: {allowed}") from None


def _tax(value: Tax | str) -> Tax:
    try:
        return Tax(str(value).upper())
    except ValueError:
        raise InvalidPeriod(f"unknown tax {value!r}; use OB (omzetbelasting) or LH (loonheffingen)") from None


def _quarter_start(value: int) -> int:
    if value not in (1, 2, 3):
        raise InvalidPeriod(f"quarter start month must be 1 (Jan), 2 (Feb) or 3 (Mar), not {value!r}")
    return value


def _month_end(year: int, month: int) -> date:
    """Last day of a month; month may run past 12 into the next year."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _four_weekly_p1_end(year: int) -> date:
    # Period 1 runs from 1 January to the Sunday that ends ISO week 4; periods 2-12 are 28 days
    # and period 13 ends on 31 December (Handboek loonheffingen, "vierwekenaangifte").
    return date.fromisocalendar(year, 4, 7)


@dataclass(frozen=True, slots=True)
class TaxPeriod:
    """One return period: a frequency, the year it starts in and its number within that year."""

    frequency: Frequency
    year: int
    number: int
    quarter_start_month: int = 1  # 2 or 3 for shifted quarters; always 1 for other frequencies

    def __post_init__(self) -> None:
        frequency = _frequency(self.frequency)
        object.__setattr__(self, "frequency", frequency)
        start_month = _quarter_start(self.quarter_start_month) if frequency is Frequency.QUARTER else 1
        object.__setattr__(self, "quarter_start_month", start_month)
        if not MINYEAR < self.year < MAXYEAR:
            raise InvalidPeriod(f"year {self.year} is outside the supported range")
        if not 1 <= self.number <= _PER_YEAR[frequency]:
            last = _PER_YEAR[frequency]
            raise InvalidPeriod(f"a {frequency.value} period number runs from 1 to {last}, not {self.number}")

    @property
    def start(self) -> date:
        """First day of the period."""
        if self.frequency is Frequency.FOUR_WEEKLY:
            if self.number == 1:
                return date(self.year, 1, 1)
            return _four_weekly_p1_end(self.year) + timedelta(days=1 + 28 * (self.number - 2))
        months = _MONTHS_PER_PERIOD[self.frequency]
        return date(self.year, self.quarter_start_month + months * (self.number - 1), 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        if self.frequency is Frequency.FOUR_WEEKLY:
            if self.number == 13:
                return date(self.year, 12, 31)
            return _four_weekly_p1_end(self.year) + timedelta(days=28 * (self.number - 1))
        months = _MONTHS_PER_PERIOD[self.frequency]
        return _month_end(self.year, self.quarter_start_month + months * self.number - 1)

    @property
    def label(self) -> str:
        """The period's name in lists, cases and the CLI, e.g. `2026-Q1` or `2026-P04`."""
        shift = _SHIFT_NAMES.get(self.quarter_start_month)
        return _LABEL_FORMATS[self.frequency].format(y=self.year, n=self.number, shift=f"-{shift}" if shift else "")

    def __str__(self) -> str:
        return self.label

    def contains(self, day: date) -> bool:
        """Whether the day falls within the period."""
        return self.start <= day <= self.end

    def next(self) -> TaxPeriod:
        """The period that follows this one."""
        if self.number == _PER_YEAR[self.frequency]:
            return TaxPeriod(self.frequency, self.year + 1, 1, self.quarter_start_month)
        return TaxPeriod(self.frequency, self.year, self.number + 1, self.quarter_start_month)

    def previous(self) -> TaxPeriod:
        """The period before this one."""
        if self.number == 1:
            return TaxPeriod(self.frequency, self.year - 1, _PER_YEAR[self.frequency], self.quarter_start_month)
        return TaxPeriod(self.frequency, self.year, self.number - 1, self.quarter_start_month)

    def _check_tax(self, tax: Tax | str) -> Tax:
        tax = _tax(tax)
        if self.frequency not in SUPPORTED[tax]:
            allowed = ", ".join(sorted(f.value for f in SUPPORTED[tax]))
            raise InvalidPeriod(f"{tax.value} has no {self.frequency.value} returns; its periods are: {allowed}")
        return tax

    def period_code(self, tax: Tax | str) -> str:
        """The 2-digit period code of the payment reference (DESIGN.md, 'Payment reference')."""
        self._check_tax(tax)
        match self.frequency:
            case Frequency.MONTH:
                return f"{self.number:02d}"
            case Frequency.QUARTER:  # start month + 20: 21, 24, 27, 30; shifted 22, 25, … 32
                return f"{self.start.month + 20:02d}"
            case Frequency.HALF_YEAR:
                return f"{30 + self.number:02d}"
            case Frequency.YEAR:
                return "40"
            case _:  # P1-P9 = 71-79, P10-P13 = 80-83
                return f"{70 + self.number:02d}"

    def deadline(self, tax: Tax | str) -> date:
        """The statutory last day for return and payment, before any Atw shift."""
        tax = self._check_tax(tax)
        end = self.end
        if self.frequency is Frequency.YEAR and tax is Tax.OB:
            return date(end.year + 1, 3, 31)  # annual VAT return: "before 1 April"
        if self.frequency is Frequency.FOUR_WEEKLY:
            # One month after the period end, same day number, clamped to the month's last day
            # (period ending 31 January → 28/29 February).
            month_end = _month_end(end.year, end.month + 1)
            return month_end.replace(day=min(end.day, month_end.day))
        # Month, quarter, half year and LH year: "within a month after the end of the period"
        # (art. 19 AWR for the return, art. 19 Invorderingswet 1990 for payment), which the
        # Belastingdienst applies as the last day of the next month; LH year → 31 January.
        return _month_end(end.year, end.month + 1)

    def effective_deadline(self, tax: Tax | str, extra_holidays: Iterable[date] = ()) -> date:
        """The deadline after the Algemene termijnenwet shift to the next working day."""
        return apply_termijnenwet(self.deadline(tax), extra_holidays)


def period_for(frequency: Frequency | str, day: date, quarter_start_month: int = 1) -> TaxPeriod:
    """The period of this frequency that contains the day."""
    frequency = _frequency(frequency)
    y, m = day.year, day.month
    match frequency:
        case Frequency.MONTH:
            return TaxPeriod(frequency, y, m)
        case Frequency.QUARTER:
            start = _quarter_start(quarter_start_month)
            # Jan (and Feb) belong to the last shifted quarter of the year before.
            year = y if m >= start else y - 1
            return TaxPeriod(frequency, year, (m - start) % 12 // 3 + 1, start)
        case Frequency.HALF_YEAR:
            return TaxPeriod(frequency, y, 1 if m <= 6 else 2)
        case Frequency.YEAR:
            return TaxPeriod(frequency, y, 1)
        case _:
            p1_end = _four_weekly_p1_end(y)
            if day <= p1_end:
                return TaxPeriod(frequency, y, 1)
            return TaxPeriod(frequency, y, min(13, 2 + (day - p1_end - _ONE_DAY).days // 28))


_LABELS = {
    Frequency.MONTH: re.compile(r"(\d{4})-(\d{1,2})"),
    Frequency.QUARTER: re.compile(r"(\d{4})-Q(\d)(?:-(FEB|MAR))?", re.IGNORECASE),
    Frequency.HALF_YEAR: re.compile(r"(\d{4})-H(\d)", re.IGNORECASE),
    Frequency.YEAR: re.compile(r"(\d{4})"),
    Frequency.FOUR_WEEKLY: re.compile(r"(\d{4})-P(\d{1,2})", re.IGNORECASE),
}
_EXAMPLES = {
    Frequency.MONTH: "2026-03",
    Frequency.QUARTER: "2026-Q1, or 2026-Q1-FEB / 2026-Q1-MAR for shifted quarters",
    Frequency.HALF_YEAR: "2026-H1",
    Frequency.YEAR: "2026",
    Frequency.FOUR_WEEKLY: "2026-P04",
}


def parse_label(label: str, frequency: Frequency | str, quarter_start_month: int | None = None) -> TaxPeriod:
    """The period a label names; for quarters, the label's shift must match quarter_start_month if given."""
    frequency = _frequency(frequency)
    match = _LABELS[frequency].fullmatch(str(label).strip())
    if not match:
        raise InvalidPeriod(f"{label!r} is not a {frequency.value} label; expected e.g. {_EXAMPLES[frequency]}")
    year = int(match.group(1))
    number = int(match.group(2)) if frequency is not Frequency.YEAR else 1
    start_month = 1
    if frequency is Frequency.QUARTER:
        shift = (match.group(3) or "").upper()
        start_month = {"": 1, "FEB": 2, "MAR": 3}[shift]
        if quarter_start_month is not None and _quarter_start(quarter_start_month) != start_month:
            expected = TaxPeriod(frequency, year, min(max(number, 1), 4), quarter_start_month).label
            raise InvalidPeriod(
                f"{label!r} is a quarter starting in month {start_month}, but the quarters here start "
                f"in month {quarter_start_month} (labels like {expected!r})"
            )
    try:
        return TaxPeriod(frequency, year, number, start_month)
    except InvalidPeriod as error:
        raise InvalidPeriod(f"{label!r} names no {frequency.value} period: {error}") from None


def periods_of_year(frequency: Frequency | str, year: int, quarter_start_month: int = 1) -> list[TaxPeriod]:
    """All periods whose label carries this year, in order (a shifted Q4 runs into the next year)."""
    frequency = _frequency(frequency)
    return [TaxPeriod(frequency, year, n, quarter_start_month) for n in range(1, _PER_YEAR[frequency] + 1)]


def periods_between(
    frequency: Frequency | str, start: date, end: date, quarter_start_month: int = 1
) -> list[TaxPeriod]:
    """All periods that overlap the days start..end (both inclusive), in order."""
    periods: list[TaxPeriod] = []
    if end < start:
        return periods
    period = period_for(frequency, start, quarter_start_month)
    while period.start <= end:
        periods.append(period)
        period = period.next()
    return periods


def periods_ended_between(
    frequency: Frequency | str, after: date, until: date, quarter_start_month: int = 1
) -> list[TaxPeriod]:
    """All periods whose last day lies in (after, until]: what a planner run on `until` must cover."""
    periods: list[TaxPeriod] = []
    if until <= after:
        return periods
    period = period_for(frequency, after + _ONE_DAY, quarter_start_month)
    while period.end <= until:
        periods.append(period)
        period = period.next()
    return periods


# --- Algemene termijnenwet (Atw, https://wetten.overheid.nl/BWBR0002448) ----------------------
# Art. 1(1): a statutory term that ends on a Saturday, Sunday or "algemeen erkende feestdag"
# runs on to the next day that is none of these. Art. 3(1) names the feestdagen: Nieuwjaarsdag,
# Tweede Paasdag, Tweede Pinksterdag, both Kerstdagen, Hemelvaartsdag, the day the King's birthday
# is celebrated (26 April when the 27th is a Sunday) and 5 May — every year, not only in lustrum
# years. Art. 3(2) equates Goede Vrijdag. (Art. 2, at least two working days in a term, never
# bites on these month-long terms.) The `holidays` package's PUBLIC calendar for NL has 5 May only
# in lustrum years (cao practice) and its OPTIONAL one has it every year; Goede Vrijdag has moved
# between the two across package versions. So: PUBLIC ∪ OPTIONAL, plus 5 May added explicitly;
# Easter Sunday and Whit Sunday are Sundays anyway. tests/domain/test_deadlines.py pins the result.
#
# Art. 3(3): days equated by royal decree, about every three years, mostly bridge days — but not
# by a fixed rule (2026-2028 skips several bridge days), so they cannot be derived. No package has
# them: they are listed here from the decrees' titles (the 2023 and 2026 titles as quoted at
# sterfgeval.nl, vraag 70745). Add the next decree (2029-2031) here, or pass its days as
# `extra_holidays` until then.
ATW_EQUATED_DAYS: frozenset[date] = frozenset(
    {
        # Besluit van 24 oktober 2016 (BWBR0038666), Stcrt. 2016.
        date(2017, 4, 28), date(2017, 5, 26), date(2018, 5, 11), date(2018, 12, 24),
        date(2018, 12, 31), date(2019, 5, 31), date(2019, 12, 27),
        # 2020-2022 decree not verified here; 27 May 2022 (Friday after Ascension) as listed by
        # wvhl.nl "Algemene termijnenwet 2022".
        date(2022, 5, 27),
        # "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024, 27 december 2024
        # en 30 mei 2025 met een algemeen erkende feestdag".
        date(2023, 4, 28), date(2023, 5, 19), date(2024, 5, 10), date(2024, 12, 27), date(2025, 5, 30),
        # "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028
        # en 26 mei 2028 met een algemeen erkende feestdag".
        date(2026, 1, 2), date(2026, 5, 15), date(2027, 5, 7), date(2028, 4, 28), date(2028, 5, 26),
    }
)


@lru_cache(maxsize=256)
def atw_holidays(year: int) -> frozenset[date]:
    """Every day of the year that the Algemene termijnenwet treats as a public holiday."""
    days = set(holidays.country_holidays("NL", years=year, categories=(PUBLIC, OPTIONAL)))
    if year >= 1982:  # 5 May entered art. 3(1) by the amendment of 5 January 1982 (nl.wikipedia, Atw)
        days.add(date(year, 5, 5))
    days.update(d for d in ATW_EQUATED_DAYS if d.year == year)
    return frozenset(days)


def apply_termijnenwet(day: date, extra_holidays: Iterable[date] = ()) -> date:
    """The day itself, or the next day that is not a Saturday, Sunday or Atw holiday."""
    extra = frozenset(extra_holidays)
    while day.weekday() >= 5 or day in atw_holidays(day.year) or day in extra:
        day += _ONE_DAY
    return day


def parse_any_label(label: str) -> TaxPeriod:
    """The period a label names, whatever its frequency (`2026-03`, `2026-Q1-FEB`, `2026-P04`, `2026`)."""
    for frequency in (Frequency.FOUR_WEEKLY, Frequency.HALF_YEAR, Frequency.QUARTER, Frequency.MONTH, Frequency.YEAR):
        try:
            return parse_label(label, frequency)
        except InvalidPeriod:
            continue
    raise PlanningError(f"{label!r} is not a period label; use e.g. 2026-03, 2026-Q1, 2026-Q1-FEB, 2026-P04, "
                        "2026-H1 or 2026")


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (31 May − 3 months = 28/29 Feb)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
