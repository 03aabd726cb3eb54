"""Matching rules: every return ends matched or with exactly one reason code, decided without a database."""

from __future__ import annotations

from datetime import date

import pytest

from sbrflow.domain.enums import ClientStatus, Frequency, Product, Tax
from sbrflow.domain.matching import (
    CaseFacts,
    ClientCandidate,
    MatchIndex,
    MatchReason,
    ReturnFacts,
    SubscriptionFacts,
    match_return,
)

TODAY = date(2026, 11, 23)
QUARTERLY = {Product.VAT_RETURN: SubscriptionFacts(Frequency.QUARTER, 1)}
MONTHLY_PAYROLL = {Product.PAYROLL_RETURN: SubscriptionFacts(Frequency.MONTH)}


def _client(cid=1, number="1001", ob="001000044B37", lh=None, status=ClientStatus.CLIENT, subs=None):
    return ClientCandidate(cid, number, status, rsin=ob[:9] if ob else None, ob_number=ob,
                           payroll_tax_number=lh, subscriptions=QUARTERLY if subs is None else subs)


def _case(case_id=10, cid=1, product=Product.VAT_RETURN, start=date(2026, 1, 1), end=date(2026, 3, 31), closed=False):
    return CaseFacts(case_id, cid, product, start, end, closed)


def _vat(fiscal_id="001000044B37", start=date(2026, 1, 1), end=date(2026, 3, 31)):
    return ReturnFacts(1, Tax.OB, fiscal_id, start, end)


def test_a_vat_return_matches_its_client_by_ob_number_and_the_case_of_its_period():
    outcome = match_return(_vat(), MatchIndex([_client()], [_case()]), today=TODAY)
    assert outcome.matched and (outcome.client_id, outcome.case_id) == (1, 10)


@pytest.mark.parametrize("messy", ["nl 0010.00.044.b37", "1000044B37", "001000044b37"])
def test_identifiers_are_compared_in_one_canonical_form(messy):
    outcome = match_return(_vat(messy), MatchIndex([_client()], [_case()]), today=TODAY)
    assert outcome.case_id == 10


def test_a_bare_rsin_matches_the_client_that_has_one_ob_number_on_it():
    assert match_return(_vat("001000044"), MatchIndex([_client()], [_case()]), today=TODAY).case_id == 10


def test_a_payroll_return_matches_by_loonheffingennummer():
    client = _client(ob=None, lh="111222333L01", subs=MONTHLY_PAYROLL)
    case = _case(product=Product.PAYROLL_RETURN, start=date(2026, 10, 1), end=date(2026, 10, 31))
    ret = ReturnFacts(1, Tax.LH, "111222333L01", date(2026, 10, 1), date(2026, 10, 31))
    assert match_return(ret, MatchIndex([client], [case]), today=TODAY).case_id == 10


def test_an_identifier_no_client_has_is_unknown():
    outcome = match_return(_vat("111222333B01"), MatchIndex([_client()], [_case()]), today=TODAY)
    assert outcome.reason_code is MatchReason.UNKNOWN_IDENTIFIER and "111222333B01" in outcome.reason


def test_an_identifier_two_clients_share_is_ambiguous_and_names_both():
    index = MatchIndex([_client(), _client(cid=2, number="2002")], [_case()])
    outcome = match_return(_vat(), index, today=TODAY)
    assert outcome.reason_code is MatchReason.AMBIGUOUS and "1001" in outcome.reason and "2002" in outcome.reason


def test_a_return_of_a_former_client_names_the_status():
    outcome = match_return(_vat(), MatchIndex([_client(status=ClientStatus.FORMER_CLIENT)], []), today=TODAY)
    assert outcome.reason_code is MatchReason.CLIENT_NOT_ACTIVE and "former_client" in outcome.reason


def test_a_client_without_the_product_has_no_subscription():
    outcome = match_return(_vat(), MatchIndex([_client(subs={})], []), today=TODAY)
    assert outcome.reason_code is MatchReason.NO_SUBSCRIPTION


def test_a_monthly_return_of_a_quarterly_filer_is_a_period_mismatch():
    outcome = match_return(_vat(end=date(2026, 1, 31)), MatchIndex([_client()], [_case()]), today=TODAY)
    assert outcome.reason_code is MatchReason.PERIOD_MISMATCH and outcome.client_id == 1


def test_a_calendar_quarter_of_a_shifted_quarter_filer_is_a_period_mismatch():
    shifted = {Product.VAT_RETURN: SubscriptionFacts(Frequency.QUARTER, 2)}
    outcome = match_return(_vat(), MatchIndex([_client(subs=shifted)], []), today=TODAY)
    assert outcome.reason_code is MatchReason.PERIOD_MISMATCH


def test_a_past_period_without_a_planned_case_has_no_case():
    outcome = match_return(_vat(), MatchIndex([_client()], []), today=TODAY)
    assert outcome.reason_code is MatchReason.NO_CASE and "no case planned" in outcome.reason


def test_a_period_that_has_not_ended_says_it_will_be_planned():
    ret = _vat(start=date(2026, 10, 1), end=date(2026, 12, 31))
    outcome = match_return(ret, MatchIndex([_client()], []), today=TODAY)
    assert outcome.reason_code is MatchReason.NO_CASE and "not ended" in outcome.reason


def test_a_return_for_a_submitted_case_is_case_closed():
    outcome = match_return(_vat(), MatchIndex([_client()], [_case(closed=True)]), today=TODAY)
    assert outcome.reason_code is MatchReason.CASE_CLOSED and outcome.client_id == 1


def test_a_return_for_the_wrong_tax_never_matches_a_client_of_the_other_identifier():
    ret = ReturnFacts(1, Tax.LH, "001000044B37", date(2026, 1, 1), date(2026, 1, 31))
    assert match_return(ret, MatchIndex([_client()], []), today=TODAY).reason_code is MatchReason.UNKNOWN_IDENTIFIER
