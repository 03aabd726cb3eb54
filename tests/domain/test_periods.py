"""Tax periods: boundaries, labels, navigation and the published four-weekly tables."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbrflow.domain.enums import Frequency, Tax
from sbrflow.domain.errors import InvalidPeriod, SbrflowError
from sbrflow.domain.periods import (
    TaxPeriod,
    parse_label,
    period_for,
    periods_between,
    periods_ended_between,
    periods_of_year,
)

D = date

# The four-weekly tables, written out by hand from the rule (Handboek loonheffingen; DESIGN.md):
# period 1 from 1 January to the Sunday of ISO week 4, then 28 days each, period 13 to 31 December.
# Anchored on the points DESIGN.md quotes from the Belastingdienst (2020 P1 = 1-26 January; 2021
# P1 = 1-31 January, P4 = 29 March-25 April); the full tables were not compared with the
# Belastingdienst's own PDF here.
FOUR_WEEKLY = {
    2020: [  # 1 January on a Wednesday: P1 has 26 days
        (D(2020, 1, 1), D(2020, 1, 26)), (D(2020, 1, 27), D(2020, 2, 23)), (D(2020, 2, 24), D(2020, 3, 22)),
        (D(2020, 3, 23), D(2020, 4, 19)), (D(2020, 4, 20), D(2020, 5, 17)), (D(2020, 5, 18), D(2020, 6, 14)),
        (D(2020, 6, 15), D(2020, 7, 12)), (D(2020, 7, 13), D(2020, 8, 9)), (D(2020, 8, 10), D(2020, 9, 6)),
        (D(2020, 9, 7), D(2020, 10, 4)), (D(2020, 10, 5), D(2020, 11, 1)), (D(2020, 11, 2), D(2020, 11, 29)),
        (D(2020, 11, 30), D(2020, 12, 31)),
    ],
    2021: [  # 1 January on a Friday: ISO week 1 starts 4 January, so P1 runs to 31 January
        (D(2021, 1, 1), D(2021, 1, 31)), (D(2021, 2, 1), D(2021, 2, 28)), (D(2021, 3, 1), D(2021, 3, 28)),
        (D(2021, 3, 29), D(2021, 4, 25)), (D(2021, 4, 26), D(2021, 5, 23)), (D(2021, 5, 24), D(2021, 6, 20)),
        (D(2021, 6, 21), D(2021, 7, 18)), (D(2021, 7, 19), D(2021, 8, 15)), (D(2021, 8, 16), D(2021, 9, 12)),
        (D(2021, 9, 13), D(2021, 10, 10)), (D(2021, 10, 11), D(2021, 11, 7)), (D(2021, 11, 8), D(2021, 12, 5)),
        (D(2021, 12, 6), D(2021, 12, 31)),
    ],
    2023: [  # 1 January on a Sunday: it belongs to ISO week 52 of 2022, yet P1 still starts on it
        (D(2023, 1, 1), D(2023, 1, 29)), (D(2023, 1, 30), D(2023, 2, 26)), (D(2023, 2, 27), D(2023, 3, 26)),
        (D(2023, 3, 27), D(2023, 4, 23)), (D(2023, 4, 24), D(2023, 5, 21)), (D(2023, 5, 22), D(2023, 6, 18)),
        (D(2023, 6, 19), D(2023, 7, 16)), (D(2023, 7, 17), D(2023, 8, 13)), (D(2023, 8, 14), D(2023, 9, 10)),
        (D(2023, 9, 11), D(2023, 10, 8)), (D(2023, 10, 9), D(2023, 11, 5)), (D(2023, 11, 6), D(2023, 12, 3)),
        (D(2023, 12, 4), D(2023, 12, 31)),
    ],
    2026: [  # 1 January on a Thursday: ISO week 1 starts 29 December 2025, so P1 has 25 days
        (D(2026, 1, 1), D(2026, 1, 25)), (D(2026, 1, 26), D(2026, 2, 22)), (D(2026, 2, 23), D(2026, 3, 22)),
        (D(2026, 3, 23), D(2026, 4, 19)), (D(2026, 4, 20), D(2026, 5, 17)), (D(2026, 5, 18), D(2026, 6, 14)),
        (D(2026, 6, 15), D(2026, 7, 12)), (D(2026, 7, 13), D(2026, 8, 9)), (D(2026, 8, 10), D(2026, 9, 6)),
        (D(2026, 9, 7), D(2026, 10, 4)), (D(2026, 10, 5), D(2026, 11, 1)), (D(2026, 11, 2), D(2026, 11, 29)),
        (D(2026, 11, 30), D(2026, 12, 31)),
    ],
}

# Every kind of period an office files: frequency and quarter start month.
KINDS = [
    (Frequency.MONTH, 1),
    (Frequency.QUARTER, 1),
    (Frequency.QUARTER, 2),
    (Frequency.QUARTER, 3),
    (Frequency.HALF_YEAR, 1),
    (Frequency.YEAR, 1),
    (Frequency.FOUR_WEEKLY, 1),
]
kinds = st.sampled_from(KINDS)
days = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
years = st.integers(min_value=1900, max_value=2200)


@pytest.mark.parametrize("year", sorted(FOUR_WEEKLY))
def test_four_weekly_periods_match_the_published_table(year: int) -> None:
    periods = periods_of_year(Frequency.FOUR_WEEKLY, year)
    assert [(p.start, p.end) for p in periods] == FOUR_WEEKLY[year]
    assert [p.label for p in periods] == [f"{year}-P{n:02d}" for n in range(1, 14)]


@pytest.mark.parametrize("year", sorted(FOUR_WEEKLY))
def test_every_day_of_a_published_four_weekly_period_maps_to_that_period(year: int) -> None:
    for number, (start, end) in enumerate(FOUR_WEEKLY[year], start=1):
        day = start
        while day <= end:
            assert period_for(Frequency.FOUR_WEEKLY, day) == TaxPeriod(Frequency.FOUR_WEEKLY, year, number)
            day += timedelta(days=1)


@given(years)
def test_four_weekly_period_1_ends_on_the_sunday_of_iso_week_4(year: int) -> None:
    p1 = TaxPeriod(Frequency.FOUR_WEEKLY, year, 1)
    assert p1.start == D(year, 1, 1)
    assert p1.end.weekday() == 6
    assert p1.end.isocalendar()[:2] == (year, 4)


@given(years)
def test_four_weekly_periods_2_to_12_last_28_days_and_period_13_ends_on_31_december(year: int) -> None:
    periods = periods_of_year(Frequency.FOUR_WEEKLY, year)
    assert all((p.end - p.start).days == 27 for p in periods[1:12])
    assert periods[12].end == D(year, 12, 31)


def test_2021_four_weekly_period_4_runs_from_29_march_to_25_april() -> None:
    assert parse_label("2021-P04", Frequency.FOUR_WEEKLY).start == D(2021, 3, 29)
    assert parse_label("2021-P04", Frequency.FOUR_WEEKLY).end == D(2021, 4, 25)


@pytest.mark.parametrize(
    ("frequency", "day", "start_month", "label", "start", "end"),
    [
        (Frequency.MONTH, D(2026, 3, 15), 1, "2026-03", D(2026, 3, 1), D(2026, 3, 31)),
        (Frequency.MONTH, D(2024, 2, 29), 1, "2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        (Frequency.QUARTER, D(2026, 3, 31), 1, "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)),
        (Frequency.QUARTER, D(2026, 12, 1), 1, "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        (Frequency.QUARTER, D(2026, 2, 1), 2, "2026-Q1-FEB", D(2026, 2, 1), D(2026, 4, 30)),
        (Frequency.QUARTER, D(2026, 1, 31), 2, "2025-Q4-FEB", D(2025, 11, 1), D(2026, 1, 31)),
        (Frequency.QUARTER, D(2026, 3, 1), 3, "2026-Q1-MAR", D(2026, 3, 1), D(2026, 5, 31)),
        (Frequency.QUARTER, D(2024, 2, 29), 3, "2023-Q4-MAR", D(2023, 12, 1), D(2024, 2, 29)),
        (Frequency.HALF_YEAR, D(2026, 7, 1), 1, "2026-H2", D(2026, 7, 1), D(2026, 12, 31)),
        (Frequency.YEAR, D(2026, 6, 30), 1, "2026", D(2026, 1, 1), D(2026, 12, 31)),
        (Frequency.FOUR_WEEKLY, D(2026, 4, 1), 1, "2026-P04", D(2026, 3, 23), D(2026, 4, 19)),
    ],
)
def test_a_day_falls_in_the_period_with_this_label_and_these_bounds(frequency, day, start_month, label, start, end) -> None:
    period = period_for(frequency, day, start_month)
    assert (period.label, period.start, period.end) == (label, start, end)
    assert str(period) == label


def test_a_shifted_quarter_label_never_equals_a_calendar_quarter_label() -> None:
    labels = {period_for(Frequency.QUARTER, D(2026, 3, 1), m).label for m in (1, 2, 3)}
    assert labels == {"2026-Q1", "2026-Q1-FEB", "2026-Q1-MAR"}


def test_quarter_start_month_is_ignored_for_frequencies_other_than_quarter() -> None:
    assert period_for(Frequency.MONTH, D(2026, 3, 1), 3) == TaxPeriod(Frequency.MONTH, 2026, 3)


def test_frequency_may_be_given_as_its_stored_text() -> None:
    assert period_for("four_weekly", D(2026, 1, 1)) == TaxPeriod(Frequency.FOUR_WEEKLY, 2026, 1)


def test_an_unknown_frequency_is_an_error_that_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidPeriod, match="unknown frequency 'weekly'; use one of: month, quarter"):
        period_for("weekly", D(2026, 1, 1))


@pytest.mark.parametrize("start_month", [0, 4, 12])
def test_a_quarter_can_only_start_in_january_february_or_march(start_month: int) -> None:
    with pytest.raises(InvalidPeriod, match="quarter start month must be 1"):
        period_for(Frequency.QUARTER, D(2026, 1, 1), start_month)


@pytest.mark.parametrize(
    ("label", "frequency"),
    [("2026-13", "month"), ("2026-Q5", "quarter"), ("2026-P14", "four_weekly"), ("2026-H3", "half_year"),
     ("2026-03", "quarter"), ("26-03", "month"), ("2026-Q1-APR", "quarter"), ("", "year")],
)
def test_a_label_that_names_no_period_is_an_error(label: str, frequency: str) -> None:
    with pytest.raises(InvalidPeriod) as error:
        parse_label(label, frequency)
    assert repr(label) in str(error.value)
    assert isinstance(error.value, SbrflowError)


def test_a_calendar_quarter_label_is_refused_for_a_client_with_shifted_quarters() -> None:
    with pytest.raises(InvalidPeriod, match="labels like '2026-Q1-FEB'"):
        parse_label("2026-Q1", Frequency.QUARTER, quarter_start_month=2)


def test_labels_parse_case_insensitively_and_leniently_to_the_canonical_period() -> None:
    assert parse_label(" 2026-q1-feb ", "quarter").label == "2026-Q1-FEB"
    assert parse_label("2026-p4", "four_weekly").label == "2026-P04"
    assert parse_label("2026-3", "month").label == "2026-03"


def test_periods_ended_between_gives_what_a_planner_must_cover() -> None:
    ended = periods_ended_between(Frequency.QUARTER, D(2025, 11, 23), D(2026, 11, 23))
    assert [p.label for p in ended] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    on_the_last_day = periods_ended_between(Frequency.MONTH, D(2026, 2, 28), D(2026, 3, 31))
    assert [p.label for p in on_the_last_day] == ["2026-03"]
    assert periods_ended_between(Frequency.MONTH, D(2026, 3, 31), D(2026, 3, 31)) == []


def test_periods_between_gives_every_period_that_overlaps_the_range() -> None:
    overlapping = periods_between(Frequency.QUARTER, D(2026, 1, 1), D(2026, 12, 31), quarter_start_month=2)
    assert [p.label for p in overlapping] == ["2025-Q4-FEB", "2026-Q1-FEB", "2026-Q2-FEB", "2026-Q3-FEB", "2026-Q4-FEB"]
    assert periods_between(Frequency.MONTH, D(2026, 2, 1), D(2026, 1, 1)) == []


# --- properties ------------------------------------------------------------------------------


@given(kinds, years)
def test_periods_tile_the_year_without_gaps_or_overlaps(kind, year: int) -> None:
    frequency, start_month = kind
    periods = periods_between(frequency, D(year, 1, 1), D(year, 12, 31), start_month)
    assert periods[0].contains(D(year, 1, 1)) and periods[-1].contains(D(year, 12, 31))
    for earlier, later in zip(periods, periods[1:]):
        assert later.start == earlier.end + timedelta(days=1)
        assert earlier.start <= earlier.end


@given(kinds, years)
def test_a_calendar_year_holds_exactly_its_periods_unless_quarters_are_shifted(kind, year: int) -> None:
    frequency, start_month = kind
    periods = periods_of_year(frequency, year, start_month)
    if start_month == 1:
        assert periods[0].start == D(year, 1, 1) and periods[-1].end == D(year, 12, 31)
    else:  # the last shifted quarter runs into the next year
        assert periods[0].start == D(year, start_month, 1) and periods[-1].end.year == year + 1


@given(kinds, days)
def test_the_period_for_a_day_contains_that_day(kind, day: date) -> None:
    frequency, start_month = kind
    assert period_for(frequency, day, start_month).contains(day)


@given(kinds, days)
def test_next_of_previous_is_the_period_itself(kind, day: date) -> None:
    period = period_for(kind[0], day, kind[1])
    assert period.previous().next() == period
    assert period.next().previous() == period
    assert period.next().start == period.end + timedelta(days=1)


@given(kinds, days)
def test_a_label_parses_back_to_its_period(kind, day: date) -> None:
    frequency, start_month = kind
    period = period_for(frequency, day, start_month)
    assert parse_label(period.label, frequency) == period
    assert parse_label(period.label, frequency, quarter_start_month=start_month) == period


@given(kinds, days, days)
def test_labels_sort_in_date_order_within_a_frequency(kind, one: date, other: date) -> None:
    a, b = (period_for(kind[0], d, kind[1]) for d in (one, other))
    assert (a.label < b.label) == (a.start < b.start)


@given(kinds, days, st.integers(min_value=0, max_value=800))
def test_periods_ended_between_are_exactly_the_periods_whose_end_lies_in_the_range(kind, after: date, span: int) -> None:
    frequency, start_month = kind
    until = after + timedelta(days=span)
    ended = periods_ended_between(frequency, after, until, start_month)
    assert all(after < p.end <= until for p in ended)
    covering = periods_between(frequency, after, until, start_month)
    assert ended == [p for p in covering if after < p.end <= until]


def test_period_codes_follow_the_payment_reference_rules() -> None:
    assert [p.period_code(Tax.OB) for p in periods_of_year("month", 2026)][::11] == ["01", "12"]
    assert [p.period_code(Tax.OB) for p in periods_of_year("quarter", 2026)] == ["21", "24", "27", "30"]
    assert [p.period_code(Tax.OB) for p in periods_of_year("quarter", 2026, 2)] == ["22", "25", "28", "31"]
    assert [p.period_code(Tax.OB) for p in periods_of_year("quarter", 2026, 3)] == ["23", "26", "29", "32"]
    assert [p.period_code(Tax.LH) for p in periods_of_year("half_year", 2026)] == ["31", "32"]
    assert TaxPeriod("year", 2026, 1).period_code("OB") == "40"
    codes = [p.period_code(Tax.LH) for p in periods_of_year("four_weekly", 2026)]
    assert codes == ["71", "72", "73", "74", "75", "76", "77", "78", "79", "80", "81", "82", "83"]


@pytest.mark.parametrize(("tax", "frequency"), [("OB", "four_weekly"), ("OB", "half_year"), ("LH", "quarter")])
def test_a_tax_has_no_period_code_for_a_frequency_it_is_not_filed_in(tax: str, frequency: str) -> None:
    with pytest.raises(InvalidPeriod, match=f"{tax} has no {frequency} returns"):
        periods_of_year(frequency, 2026)[0].period_code(tax)


def test_an_unknown_tax_is_an_error() -> None:
    with pytest.raises(InvalidPeriod, match="unknown tax 'VPB'"):
        TaxPeriod("month", 2026, 1).period_code("VPB")
