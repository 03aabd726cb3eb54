"""Approval rules, pure: the token, its expiry and single use, the binding to the document, what a decision needs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from sbrflow.domain.approval import (
    Decision,
    DecisionRefused,
    LinkStatus,
    Presentation,
    RequestFacts,
    RequestState,
    check_decision,
    expires_at,
    hash_token,
    link_status,
    mask_token,
    new_token,
    well_formed,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SHA = "a" * 64


def _facts(state=RequestState.OPEN, expires=NOW + timedelta(days=14), sha=SHA, presentation=Presentation.APPROVAL):
    return RequestFacts(state, expires, sha, presentation)


def test_a_token_carries_at_least_128_random_bits_and_only_its_sha256_is_stored():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    token = tokens.pop()
    # 43 URL-safe base64 characters carry 258 bits; 32 random bytes went in.
    assert len(token) == 43 and well_formed(token)
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in hash_token(token)


def test_only_well_formed_tokens_reach_the_database():
    assert not well_formed("")
    assert not well_formed("short")
    assert not well_formed("x" * 42 + "/")
    assert not well_formed("x" * 44)


def test_a_masked_token_shows_four_characters():
    token = new_token()
    assert mask_token(token) == token[:4] + "…"


def test_a_link_expires_after_the_configured_days():
    assert expires_at(NOW, 14) == NOW + timedelta(days=14)
    with pytest.raises(ValueError):
        expires_at(NOW, 0)
    assert link_status(_facts(expires=NOW + timedelta(seconds=1)), now=NOW, current_sha256=SHA) is LinkStatus.VALID
    assert link_status(_facts(expires=NOW), now=NOW, current_sha256=SHA) is LinkStatus.EXPIRED


def test_a_link_is_single_use():
    assert link_status(_facts(state=RequestState.DECIDED), now=NOW, current_sha256=SHA) is LinkStatus.USED


def test_a_link_is_bound_to_the_document_hash_a_corrected_return_voids_it():
    assert link_status(_facts(), now=NOW, current_sha256="b" * 64) is LinkStatus.VOID
    assert link_status(_facts(), now=NOW, current_sha256=None) is LinkStatus.VOID
    assert link_status(_facts(state=RequestState.VOID), now=NOW, current_sha256=SHA) is LinkStatus.VOID


def test_an_unknown_token_is_unknown():
    assert link_status(None, now=NOW, current_sha256=SHA) is LinkStatus.UNKNOWN


def test_a_rejection_needs_a_reason():
    for empty in (None, "", "   \n "):
        with pytest.raises(DecisionRefused) as refused:
            check_decision(Presentation.APPROVAL, Decision.REJECTED, reason=empty)
        assert refused.value.field == "reason"
    checked = check_decision(Presentation.APPROVAL, "rejected", reason="  Omzet  1b klopt\nniet ")
    assert (checked.decision, checked.reason) == (Decision.REJECTED, "Omzet 1b klopt niet")


def test_signing_needs_a_typed_name_and_consent():
    with pytest.raises(DecisionRefused) as refused:
        check_decision(Presentation.SIGNING, Decision.SIGNED, name=" ", consent=True)
    assert refused.value.field == "name"
    with pytest.raises(DecisionRefused) as refused:
        check_decision(Presentation.SIGNING, Decision.SIGNED, name="Jan de Vries", consent=False)
    assert refused.value.field == "consent"
    checked = check_decision(Presentation.SIGNING, Decision.SIGNED, name=" Jan  de Vries ", consent=True)
    assert checked.signed_name == "Jan de Vries"


@pytest.mark.parametrize("presentation, decision", [
    (Presentation.APPROVAL, Decision.SIGNED),
    (Presentation.SIGNING, Decision.APPROVED),
    (Presentation.INFORMATION, Decision.APPROVED),
    (Presentation.APPROVAL, Decision.INFORMED),
])
def test_a_decision_must_fit_the_presentation(presentation, decision):
    with pytest.raises(DecisionRefused) as refused:
        check_decision(presentation, decision, reason="x", name="Jan de Vries", consent=True)
    assert refused.value.field == "decision"
