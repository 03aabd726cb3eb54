"""Deadlines per tax and period, and the Algemene termijnenwet shift to the next working day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbrflow.domain.enums import Frequency, Tax
from sbrflow.domain.errors import InvalidPeriod
from sbrflow.domain.periods import (
    ATW_EQUATED_DAYS,
    SUPPORTED,
    TaxPeriod,
    apply_termijnenwet,
    atw_holidays,
    parse_label,
    period_for,
)

D = date


@pytest.mark.parametrize(
    ("tax", "frequency", "label", "deadline", "effective"),
    [
        # VAT month and quarter: last day of the month after the period.
        ("OB", "month", "2026-01", D(2026, 2, 28), D(2026, 3, 2)),  # Saturday → Monday
        ("OB", "month", "2026-03", D(2026, 4, 30), D(2026, 4, 30)),
        ("OB", "quarter", "2026-Q1", D(2026, 4, 30), D(2026, 4, 30)),
        ("OB", "quarter", "2026-Q4", D(2027, 1, 31), D(2027, 2, 1)),  # Sunday → Monday
        ("OB", "quarter", "2025-Q4-FEB", D(2026, 2, 28), D(2026, 3, 2)),  # Nov–Jan
        ("OB", "quarter", "2026-Q1-MAR", D(2026, 6, 30), D(2026, 6, 30)),  # Mar–May
        # Annual VAT: before 1 April. 31 March 2024 was Easter Sunday and 1 April Easter Monday.
        ("OB", "year", "2025", D(2026, 3, 31), D(2026, 3, 31)),
        ("OB", "year", "2023", D(2024, 3, 31), D(2024, 4, 2)),
        # Payroll month, half year and year: last day of the next month (year → 31 January).
        ("LH", "month", "2026-03", D(2026, 4, 30), D(2026, 4, 30)),
        ("LH", "half_year", "2026-H1", D(2026, 7, 31), D(2026, 7, 31)),
        ("LH", "year", "2026", D(2027, 1, 31), D(2027, 2, 1)),
        # Four-weekly: same day number one month after the period end, clamped to the month end.
        ("LH", "four_weekly", "2021-P01", D(2021, 2, 28), D(2021, 3, 1)),  # ends 31 Jan → 28 Feb (Sunday)
        ("LH", "four_weekly", "2016-P01", D(2016, 2, 29), D(2016, 2, 29)),  # leap year: 29 Feb
        ("LH", "four_weekly", "2026-P03", D(2026, 4, 22), D(2026, 4, 22)),
        ("LH", "four_weekly", "2026-P04", D(2026, 5, 19), D(2026, 5, 19)),
        ("LH", "four_weekly", "2026-P13", D(2027, 1, 31), D(2027, 2, 1)),
    ],
)
def test_deadline_and_effective_deadline_per_tax_and_period(tax, frequency, label, deadline, effective) -> None:
    period = parse_label(label, frequency)
    assert period.deadline(tax) == deadline
    assert period.effective_deadline(tax) == effective


def test_a_deadline_on_a_day_equated_by_royal_decree_moves_to_the_next_working_day() -> None:
    # VAT November 2018 was due Monday 31 December 2018, a day equated with a feestdag by the
    # Besluit of 24 October 2016; 1 January is Nieuwjaarsdag, so the term ran to 2 January 2019.
    november = parse_label("2018-11", Frequency.MONTH)
    assert november.deadline(Tax.OB) == D(2018, 12, 31)
    assert november.effective_deadline(Tax.OB) == D(2019, 1, 2)


@pytest.mark.parametrize(("tax", "frequency"), [("OB", "four_weekly"), ("OB", "half_year"), ("LH", "quarter")])
def test_a_period_the_tax_is_not_filed_in_has_no_deadline(tax: str, frequency: str) -> None:
    with pytest.raises(InvalidPeriod, match=f"{tax} has no {frequency} returns"):
        period_for(frequency, D(2026, 5, 1)).deadline(tax)


# --- Algemene termijnenwet -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "shifted", "why"),
    [
        (D(2026, 4, 29), D(2026, 4, 29), "an ordinary Wednesday stays"),
        (D(2026, 5, 4), D(2026, 5, 4), "Dodenherdenking is no feestdag"),
        (D(2026, 12, 24), D(2026, 12, 24), "Christmas Eve is no feestdag"),
        (D(2026, 8, 1), D(2026, 8, 3), "Saturday → Monday"),
        (D(2026, 8, 2), D(2026, 8, 3), "Sunday → Monday"),
        (D(2026, 1, 1), D(2026, 1, 5), "Nieuwjaarsdag, then 2 January (equated by decree), then the weekend"),
        (D(2026, 4, 3), D(2026, 4, 7), "Goede Vrijdag (art. 3(2)), weekend, Tweede Paasdag"),
        (D(2026, 4, 27), D(2026, 4, 28), "Koningsdag"),
        (D(2026, 5, 5), D(2026, 5, 6), "5 May counts every year, not only in lustrum years"),
        (D(2026, 5, 14), D(2026, 5, 18), "Hemelvaartsdag, the Friday after (equated), weekend"),
        (D(2026, 5, 25), D(2026, 5, 26), "Tweede Pinksterdag"),
        (D(2026, 12, 25), D(2026, 12, 28), "Eerste and Tweede Kerstdag, weekend"),
        (D(2024, 12, 26), D(2024, 12, 30), "Tweede Kerstdag, Friday 27 December 2024 (equated), weekend"),
    ],
)
def test_a_term_ending_on_a_weekend_or_atw_holiday_runs_to_the_next_working_day(day, shifted, why) -> None:
    assert apply_termijnenwet(day) == shifted, why


def test_the_atw_calendar_of_2026_is_exactly_the_statutory_list_on_working_days() -> None:
    # Pinned so that a change in the holidays package (it has moved Goede Vrijdag and 5 May
    # between categories before) shows up here instead of in a client's deadline.
    weekdays = sorted(d for d in atw_holidays(2026) if d.weekday() < 5)
    assert weekdays == [
        D(2026, 1, 1),  # Nieuwjaarsdag
        D(2026, 1, 2),  # equated by decree
        D(2026, 4, 3),  # Goede Vrijdag
        D(2026, 4, 6),  # Tweede Paasdag
        D(2026, 4, 27),  # Koningsdag
        D(2026, 5, 5),  # Bevrijdingsdag
        D(2026, 5, 14),  # Hemelvaartsdag
        D(2026, 5, 15),  # equated by decree
        D(2026, 5, 25),  # Tweede Pinksterdag
        D(2026, 12, 25),  # Eerste Kerstdag (Tweede Kerstdag is a Saturday)
    ]


def test_the_atw_calendar_of_2024_is_exactly_the_statutory_list_on_working_days() -> None:
    weekdays = sorted(d for d in atw_holidays(2024) if d.weekday() < 5)
    assert weekdays == [
        D(2024, 1, 1), D(2024, 3, 29), D(2024, 4, 1), D(2024, 5, 9), D(2024, 5, 10),
        D(2024, 5, 20), D(2024, 12, 25), D(2024, 12, 26), D(2024, 12, 27),
    ]  # Koningsdag (27 April) was a Saturday, 5 May a Sunday


@pytest.mark.parametrize("year", [2014, 2025])
def test_koningsdag_moves_to_26_april_when_27_april_is_a_sunday(year: int) -> None:
    assert D(year, 4, 27).weekday() == 6
    assert D(year, 4, 26) in atw_holidays(year)


@pytest.mark.parametrize("year", [2021, 2022, 2023, 2024, 2026, 2027])
def test_bevrijdingsdag_is_an_atw_holiday_in_every_year(year: int) -> None:
    assert D(year, 5, 5) in atw_holidays(year)


def test_every_day_equated_by_decree_is_an_atw_holiday_on_a_working_day() -> None:
    for day in ATW_EQUATED_DAYS:
        assert day.weekday() < 5, day
        assert day in atw_holidays(day.year)


def test_extra_holidays_extend_the_term_for_decrees_not_yet_in_the_code() -> None:
    friday = D(2029, 5, 11)  # the Friday after Ascension 2029, not in ATW_EQUATED_DAYS
    assert apply_termijnenwet(friday) == friday
    assert apply_termijnenwet(friday, extra_holidays=[friday]) == D(2029, 5, 14)
    period = TaxPeriod(Frequency.FOUR_WEEKLY, 2029, 4)  # ends Sunday 22 April → due Tuesday 22 May
    assert period.effective_deadline(Tax.LH) == D(2029, 5, 22)
    assert period.effective_deadline(Tax.LH, extra_holidays={D(2029, 5, 22)}) == D(2029, 5, 23)


def _is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in atw_holidays(day.year)


_CASES = [(tax, frequency, start) for tax in Tax for frequency in SUPPORTED[tax] for start in (1, 2, 3)
          if start == 1 or frequency is Frequency.QUARTER]


@given(st.sampled_from(_CASES), st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_the_effective_deadline_is_the_first_working_day_on_or_after_the_deadline(case, day: date) -> None:
    tax, frequency, start = case
    period = period_for(frequency, day, start)
    deadline, effective = period.deadline(tax), period.effective_deadline(tax)
    assert deadline > period.end
    assert _is_working_day(effective)
    assert all(not _is_working_day(deadline + timedelta(days=n)) for n in range((effective - deadline).days))
