"""The Digipoort code table and the submission rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sbrflow.domain import digipoort as codes
from sbrflow.domain.submission import hash_refusal, judge, submits

T0 = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)


def test_every_status_and_fault_has_a_dutch_and_an_english_meaning():
    for table in (codes.STATUSES, codes.FAULTS):
        for code, entry in table.items():
            assert entry.code == code and entry.dutch and entry.english


def test_500_is_final_success_and_the_design_error_codes_are_final_failures():
    assert codes.outcome(["105", "100", "110", "200", "301", "301", "405", "400", "500"]) is codes.Outcome.ACCEPTED
    for code in ("210", "230", "311", "321", "410"):
        assert codes.outcome(["105", code]) is codes.Outcome.FAILED
    assert codes.outcome(["405", "420"]) is codes.Outcome.RETRYING
    assert codes.outcome(["105", "100"]) is codes.Outcome.IN_PROGRESS


def test_delivery_faults_and_status_faults_are_in_the_table_with_the_transient_ones_marked():
    assert {"ALS100", "ALS170", "ALS400", "STS100"} <= codes.FAULTS.keys()
    assert codes.fault("STS100").transient and not codes.fault("ALS103").transient
    assert codes.fault("ALS999").code == "ALS999"  # unknown codes keep their code


def test_information_only_products_that_are_not_sbr_returns_are_not_submitted():
    assert submits("vat_return", "approval") and submits("payroll_return", "information")
    assert submits("annual_accounts", "signing") and not submits("income_tax", "information")


def test_bytes_that_differ_from_the_current_or_approved_document_are_refused():
    assert hash_refusal("a" * 64, "a" * 64) is None
    assert "current document" in hash_refusal("b" * 64, "a" * 64)
    assert "new approval" in hash_refusal("a" * 64, "a" * 64, approved_sha256="c" * 64)


def test_a_final_error_fails_with_its_code_and_meaning():
    verdict = judge([("105", T0, None, None), ("311", T0, "GEN001", "schema")], None, T0)
    assert verdict.outcome is codes.Outcome.FAILED and verdict.error_code == "311"
    assert "Validatie mislukt" in verdict.error_text and "GEN001" in verdict.error_text


def test_420_keeps_following_and_fails_only_after_72_hours_from_the_first_420():
    first = judge([("405", T0, None, None), ("420", T0, None, None)], None, T0)
    assert first.outcome is codes.Outcome.RETRYING and first.retrying_since == T0
    later = judge([], first.retrying_since, T0 + timedelta(hours=71))
    assert later.outcome is codes.Outcome.RETRYING
    expired = judge([], first.retrying_since, T0 + timedelta(hours=72, minutes=1))
    assert expired.outcome is codes.Outcome.FAILED and expired.error_code == "420"
    recovered = judge([("400", T0, None, None), ("500", T0, None, None)], T0, T0 + timedelta(hours=80))
    assert recovered.outcome is codes.Outcome.ACCEPTED
