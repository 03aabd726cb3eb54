"""Rules that moved from tasks/ to domain/: month arithmetic, any period label, the product ↔ tax mapping."""

from __future__ import annotations

from datetime import date

import pytest

from sbrflow.domain.enums import PRODUCT_OF_TAX, PRODUCT_TAX, Product, Tax
from sbrflow.domain.errors import PlanningError
from sbrflow.domain.periods import months_before, parse_any_label
from sbrflow.models.db import chunks


def test_months_before_clamps_to_the_end_of_a_shorter_month():
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    assert months_before(date(2026, 3, 31), 0) == date(2026, 3, 31)


@pytest.mark.parametrize(("label", "end"), [("2026-03", date(2026, 3, 31)), ("2026-Q1", date(2026, 3, 31)),
                                           ("2026-P04", None), ("2026-H1", date(2026, 6, 30)),
                                           ("2026", date(2026, 12, 31))])
def test_any_period_label_is_read_whatever_its_frequency(label, end):
    period = parse_any_label(label)
    assert period.label == label
    if end is not None:
        assert period.end == end


def test_a_label_of_no_frequency_is_refused_naming_the_forms_that_are_valid():
    with pytest.raises(PlanningError, match="2026-Q1"):
        parse_any_label("2026-W12")


def test_product_and_tax_map_both_ways_from_one_mapping():
    assert PRODUCT_TAX == {Product.VAT_RETURN: Tax.OB, Product.PAYROLL_RETURN: Tax.LH}
    assert all(PRODUCT_TAX[product] is tax for tax, product in PRODUCT_OF_TAX.items())
    assert set(PRODUCT_OF_TAX) == set(Tax)


def test_the_old_import_paths_of_the_moved_rules_still_work():
    from sbrflow.domain.matching import PRODUCT_OF_TAX as of_matching
    from sbrflow.tasks.planning import PRODUCT_TAX as of_planning
    from sbrflow.tasks.planning import months_before as old_months_before
    from sbrflow.tasks.planning import parse_any_label as old_parse

    assert of_matching is PRODUCT_OF_TAX and of_planning is PRODUCT_TAX
    assert old_months_before is months_before and old_parse is parse_any_label


def test_keys_are_split_into_chunks_of_at_most_the_size_in_order():
    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == [] and list(chunks({5}, 3)) == [[5]]
    assert [len(c) for c in chunks(range(12001))] == [5000, 5000, 2001]
