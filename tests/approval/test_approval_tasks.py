"""Approval use cases on SQLite and PostgreSQL: requests, recipients, decisions, voiding, the evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import DEFAULT_DIRECTORY
from sbrflow.domain.approval import Decision, DecisionRefused, LinkNotValid, LinkStatus, RequestState, hash_token
from sbrflow.domain.case_states import CaseState
from sbrflow.models import ApprovalRequest, Case
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.approval import (
    AlreadyDecided,
    approval_document,
    approval_page,
    decide_approval,
    list_approvals,
    request_approval,
    request_pending_approvals,
)

NOW = datetime(2021, 11, 10, 9, 0, tzinfo=UTC)  # the same clock as tests/approval/conftest.py


def _case(case_id: int) -> Case:
    with unit_of_work() as session:
        return session.get(Case, case_id)


def _templates(tmp_path: Path, monkeypatch, **sbr) -> None:
    """Use a copy of the templates with these sbr settings for vat_return."""
    for file in DEFAULT_DIRECTORY.glob("*.yaml"):
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        if raw["code"] == "vat_return":
            raw["sbr"].update(sbr)
        (tmp_path / file.name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SBRFLOW_WORKFLOWS_DIR", str(tmp_path))
    get_settings.cache_clear()


def test_a_request_stores_only_the_token_hash_and_binds_the_document(office, sample_bytes):
    made = request_approval(office.case_id, now=NOW)
    assert made["url"].endswith("/a/" + made["token"])
    with unit_of_work() as session:
        row = session.get(ApprovalRequest, made["request_id"])
        assert row.token_sha256 == hash_token(made["token"])
        assert made["token"] not in {row.token_sha256, row.message, row.recipient_email}
        import hashlib
        assert row.document_sha256 == hashlib.sha256(sample_bytes).hexdigest()
        assert row.expires_at.replace(tzinfo=None) == (NOW + timedelta(days=14)).replace(tzinfo=None)
        assert row.recipient_email == "jan@bakkerij.example"


def test_the_page_shows_amount_reference_deadline_and_the_rubrieken(office):
    made = request_approval(office.case_id, now=NOW)
    page = approval_page(made["token"], now=NOW)
    assert page.amount_due == 3240 and page.client_name == "Bakkerij De Vries B.V."
    assert page.payment_reference is not None and len(page.payment_reference) == 16
    assert dict(page.totals)["TaxedTurnoverSuppliesServicesGeneralTariff"] == 15000
    name, data, sha = approval_document(made["token"], now=NOW)
    import hashlib
    assert hashlib.sha256(data).hexdigest() == sha and name.endswith(".xbrl")


def test_approving_moves_the_case_to_approved_and_records_the_evidence(office):
    made = request_approval(office.case_id, now=NOW)
    result = decide_approval(made["token"], Decision.APPROVED, now=NOW + timedelta(hours=1), via="cli")
    assert result["case_state"] == "approved"
    assert _case(office.case_id).state is CaseState.APPROVED
    with unit_of_work() as session:
        row = session.get(ApprovalRequest, made["request_id"])
        assert (row.state, row.decision, row.decided_sha256) == (RequestState.DECIDED, Decision.APPROVED,
                                                                 row.document_sha256)
        assert row.recipient_person_id == office.person_id and row.decided_at is not None
    from sbrflow.tasks.routing import show_case

    event = show_case(office.case_id)["history"][-1]  # routing's transition, with what exactly was approved
    assert (event["action"], event["from"], event["to"]) == ("case.client_approved", "with_client", "approved")
    assert event["details"]["document_sha256"] == row.document_sha256
    assert event["actor"] == f"client:request-{made['request_id']}"


def test_a_link_is_single_use_and_a_second_submit_reports_the_decision_already_made(office):
    made = request_approval(office.case_id, now=NOW)
    decide_approval(made["token"], Decision.APPROVED, now=NOW)
    with pytest.raises(AlreadyDecided) as already:
        decide_approval(made["token"], Decision.APPROVED, now=NOW)
    assert already.value.decision is Decision.APPROVED
    with pytest.raises(LinkNotValid) as used:
        approval_page(made["token"], now=NOW)
    assert used.value.status is LinkStatus.USED


def test_a_rejection_without_reason_is_refused_and_changes_nothing(office):
    made = request_approval(office.case_id, now=NOW)
    with pytest.raises(DecisionRefused):
        decide_approval(made["token"], Decision.REJECTED, reason="  ", now=NOW)
    assert _case(office.case_id).state is CaseState.WITH_CLIENT
    assert approval_page(made["token"], now=NOW).request_id == made["request_id"]


def test_a_rejection_with_reason_sends_the_case_back_to_its_last_stage(office):
    made = request_approval(office.case_id, now=NOW)
    decide_approval(made["token"], Decision.REJECTED, reason="Rubriek 1b is te hoog", now=NOW)
    case = _case(office.case_id)
    assert (case.state, case.current_stage) == (CaseState.IN_PROGRESS, "beoordelen")
    rows = list_approvals("decided", now=NOW)
    assert rows[0]["reason"] == "Rubriek 1b is te hoog"
    from sbrflow.tasks.routing import show_case

    event = show_case(office.case_id)["history"][-1]
    assert event["action"] == "case.client_rejected" and event["details"]["reason"] == "Rubriek 1b is te hoog"


def test_an_expired_link_opens_nothing_and_the_case_stays_with_the_client(office):
    made = request_approval(office.case_id, now=NOW)
    later = NOW + timedelta(days=14, seconds=1)
    with pytest.raises(LinkNotValid) as expired:
        decide_approval(made["token"], Decision.APPROVED, now=later)
    assert expired.value.status is LinkStatus.EXPIRED
    assert _case(office.case_id).state is CaseState.WITH_CLIENT
    assert [r["id"] for r in list_approvals("expired", now=later)] == [made["request_id"]]
    assert list_approvals("open", now=later) == []


def test_a_new_link_voids_the_earlier_one(office):
    first = request_approval(office.case_id, now=NOW)
    second = request_approval(office.case_id, now=NOW)
    with pytest.raises(LinkNotValid) as void:
        approval_page(first["token"], now=NOW)
    assert void.value.status is LinkStatus.VOID
    assert approval_page(second["token"], now=NOW).request_id == second["request_id"]


def test_a_corrected_return_voids_the_link_given_for_the_old_document(office, sample_bytes, kit):
    made = request_approval(office.case_id, now=NOW)
    with unit_of_work() as session:
        kit.add_document(session, office.case_id, sample_bytes.replace(b"3240", b"3241"))
    with pytest.raises(LinkNotValid) as void:
        decide_approval(made["token"], Decision.APPROVED, now=NOW)
    assert void.value.status is LinkStatus.VOID


def test_an_unknown_or_malformed_token_is_unknown(db):
    for token in ("A" * 43, "short", "../../etc/passwd"):
        with pytest.raises(LinkNotValid) as unknown:
            approval_page(token, now=NOW)
        assert unknown.value.status is LinkStatus.UNKNOWN


def test_signing_records_the_typed_name_and_consent(db, tmp_path, monkeypatch, kit):
    _templates(tmp_path, monkeypatch, presentation="signing", recipient="DGA")
    office = kit.build_office()
    made = request_approval(office.case_id, now=NOW)
    with pytest.raises(DecisionRefused):
        decide_approval(made["token"], Decision.SIGNED, name="Jan de Vries", consent=False, now=NOW)
    decide_approval(made["token"], Decision.SIGNED, name="Jan de Vries", consent=True, now=NOW)
    with unit_of_work() as session:
        row = session.get(ApprovalRequest, made["request_id"])
        assert (row.decision, row.signed_name, row.consent) == (Decision.SIGNED, "Jan de Vries", True)
    assert _case(office.case_id).state is CaseState.APPROVED


def test_without_a_contact_of_the_function_the_case_is_blocked_no_recipient(db, tmp_path, monkeypatch, kit):
    _templates(tmp_path, monkeypatch, recipient="DGA")
    office = kit.build_office(function="administratie")
    result = request_approval(office.case_id, now=NOW)
    assert result["blocked"] == "no_recipient" and "'DGA'" in result["reason"]
    case = _case(office.case_id)
    assert case.blocked_reasons[0]["code"] == "no_recipient"


def test_a_contact_without_a_valid_email_blocks_the_case_no_recipient(db, kit):
    office = kit.build_office(email="jan at bakkerij")
    result = request_approval(office.case_id, now=NOW)
    assert result["blocked"] == "no_recipient" and "e-mail" in result["reason"]
    with unit_of_work() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ApprovalRequest)) == 0


def test_information_moves_the_case_on_to_approved_when_the_message_is_made(db, tmp_path, monkeypatch, kit):
    _templates(tmp_path, monkeypatch, presentation="information")
    office = kit.build_office()
    made = request_approval(office.case_id, now=NOW)
    assert made["state"] == "decided"
    assert _case(office.case_id).state is CaseState.APPROVED
    assert list_approvals("decided", now=NOW)[0]["decision"] == "informed"


def test_the_message_fills_amount_reference_and_link(db, tmp_path, monkeypatch, kit):
    _templates(tmp_path, monkeypatch,
               message="{client_name}: {amount_due}, kenmerk {payment_reference}, {approval_url}")
    office = kit.build_office()
    made = request_approval(office.case_id, now=NOW)
    assert made["message"].startswith("Bakkerij De Vries B.V.: € 3.240 te betalen, kenmerk ")
    assert made["message"].endswith(made["url"])


def test_pending_cases_with_the_client_get_one_request_each_and_a_second_pass_makes_none(office):
    assert request_pending_approvals(now=NOW) == {"requested": 1, "informed": 0, "blocked_no_recipient": 0,
                                                  "no_recipient_cases": []}
    assert request_pending_approvals(now=NOW) == {"requested": 0, "informed": 0, "blocked_no_recipient": 0,
                                                  "no_recipient_cases": []}


def test_matching_a_corrected_return_voids_the_open_request_in_the_database(office, sample_bytes):
    import hashlib
    from datetime import date

    from sbrflow.domain.approval import VoidReason
    from sbrflow.domain.enums import Frequency, Product, Tax
    from sbrflow.models import Subscription
    from sbrflow.models.matching import MatchMethod, MatchStatus, ReturnMatch
    from sbrflow.models.returns import DocumentStatus, SourcePackage, TaxReturnDocument
    from sbrflow.tasks.matching import match_pending

    made = request_approval(office.case_id, now=NOW)
    corrected = sample_bytes.replace(b"OB-KTG00-AG", b"OB-KTG00-AH")
    with unit_of_work() as session:
        session.add(Subscription(client_id=office.client_id, product=Product.VAT_RETURN, frequency=Frequency.MONTH))
        source = session.scalar(sa.select(SourcePackage.id))
        first = session.scalar(sa.select(TaxReturnDocument.id))  # the fixture attached it; matching knows it
        session.add(ReturnMatch(document_id=first, status=MatchStatus.MATCHED, client_id=office.client_id,
                                case_id=office.case_id, method=MatchMethod.AUTOMATIC, matched_at=NOW))
        session.add(TaxReturnDocument(
            source_package_id=source, source_reference="correction", received_at=NOW,
            sha256=hashlib.sha256(corrected).hexdigest(), size=len(corrected), content=corrected,
            status=DocumentStatus.RECEIVED, tax=Tax.OB, kind="return", fiscal_id="001000044B37",
            period_start=date(2021, 10, 1), period_end=date(2021, 10, 31), amount_due=3240))
    with unit_of_work() as session:
        summary = match_pending(session, today=date(2021, 11, 20), now=NOW)
    assert summary["corrections"] == 1
    with unit_of_work() as session:
        row = session.get(ApprovalRequest, made["request_id"])
        assert (row.state, row.void_reason) == (RequestState.VOID, VoidReason.DOCUMENT_REPLACED)
