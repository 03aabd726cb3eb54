"""The CRM rules of the seeds, decided from facts alone: status words, the acceptance path, UBO through holdings."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from sbrflow.domain.acceptance import AcceptanceError, Member, Permission, check_step
from sbrflow.domain.enums import ClientKind, ClientStatus, DocumentKind, LegalForm, Tax
from sbrflow.domain.matching import ClientCandidate, MatchIndex, MatchReason, ReturnFacts, match_return
from sbrflow.domain.readiness import ClientFacts, ContactFacts, Reason, acceptance_problems, readiness_problems
from sbrflow.domain.vocabulary import UnknownWord, is_relation_type, parse_client_kind, parse_client_status
from sbrflow.domain.wwft import effective_shares, needs_ubo

S = ClientStatus
TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(("word", "status"), [
    ("Suspect", S.SUSPECT), ("PROSPECT", S.PROSPECT), ("Klantaanvraag", S.CLIENT_REQUEST),
    ("Klantacceptatie-concept", S.ACCEPTANCE_DRAFT), ("klantacceptatie concept", S.ACCEPTANCE_DRAFT),
    ("Klantacceptatie-ter goedkeuring", S.ACCEPTANCE_REVIEW), ("KLANTACCEPTATIE – TER GOEDKEURING", S.ACCEPTANCE_REVIEW),
    ("Klantacceptatie-centrale administratie", S.ACCEPTANCE_ADMIN), ("Klant", S.CLIENT), ("Cliënt", S.CLIENT),
    ("Geen klant meer", S.FORMER_CLIENT), ("geen-klant-meer", S.FORMER_CLIENT), ("ex-klant", S.FORMER_CLIENT),
    ("Oud-klant", S.FORMER_CLIENT), ("Relatie", S.RELATION), ("Relaties", S.RELATION),
    ("Dienstverlener eigen organisatie", S.OWN_SERVICE_PROVIDER),
    ("Dienstverleners eigen organisatie", S.OWN_SERVICE_PROVIDER), ("own_service_provider", S.OWN_SERVICE_PROVIDER),
    ("client_request", S.CLIENT_REQUEST), ("Acceptatie concept", S.ACCEPTANCE_DRAFT),  # the older words still work
])
def test_every_auditcase_status_word_and_english_code_is_accepted(word, status):
    assert parse_client_status(word) is status


def test_an_unknown_status_lists_the_dutch_words():
    with pytest.raises(UnknownWord) as caught:
        parse_client_status("Klantje")
    assert "Klantaanvraag" in str(caught.value) and "Dienstverlener eigen organisatie" in str(caught.value)


@pytest.mark.parametrize(("word", "kind", "relation"), [
    ("Klant-Bedrijf", ClientKind.COMPANY, False), ("Klant-Persoon", ClientKind.PERSON, False),
    ("Relatie-Bedrijf", ClientKind.COMPANY, True), ("relatie persoon", ClientKind.PERSON, True),
])
def test_registration_types_map_onto_kind_and_say_whether_they_are_relations(word, kind, relation):
    assert parse_client_kind(word) is kind and is_relation_type(word) is relation


APPROVER = Member("AB", client_approver=True)
ADMIN = Member("CA", central_admin=True)
PLAIN = Member("PK")


def test_the_acceptance_path_is_a_sequence_of_steps_each_with_its_permission():
    path = [S.CLIENT_REQUEST, S.ACCEPTANCE_DRAFT, S.ACCEPTANCE_REVIEW, S.ACCEPTANCE_ADMIN, S.CLIENT]
    needed = [check_step(a, b, Member("X", client_approver=True, central_admin=True)) for a, b in zip(path, path[1:])]
    assert needed == [Permission.MEMBER, Permission.MEMBER, Permission.CLIENT_APPROVER, Permission.CENTRAL_ADMIN]


def test_a_member_without_the_permission_may_not_take_the_step_and_is_told_which_it_needs():
    with pytest.raises(AcceptanceError, match="client_approver"):
        check_step(S.ACCEPTANCE_REVIEW, S.ACCEPTANCE_ADMIN, PLAIN)
    with pytest.raises(AcceptanceError, match="central_admin"):
        check_step(S.ACCEPTANCE_ADMIN, S.CLIENT, APPROVER)
    assert check_step(S.ACCEPTANCE_ADMIN, S.CLIENT, ADMIN) is Permission.CENTRAL_ADMIN
    with pytest.raises(AcceptanceError, match="not active"):
        check_step(S.PROSPECT, S.CLIENT_REQUEST, Member("GONE", active=False))


def test_a_step_that_skips_the_path_or_makes_a_relation_a_client_is_refused():
    with pytest.raises(AcceptanceError, match="next steps: client_request, acceptance_draft"):
        check_step(S.PROSPECT, S.CLIENT, ADMIN)
    with pytest.raises(AcceptanceError, match="relation is not a client"):
        check_step(S.RELATION, S.CLIENT_REQUEST, ADMIN)


def test_an_indirect_share_multiplies_along_the_chain_and_adds_up_over_the_paths():
    # Jan: 100 % of Holding (1); Holding: 60 % of Werk (2) and 50 % of Tussen (3); Tussen: 40 % of Werk; Jan 10 % direct.
    shares = effective_shares([("jan", 1, Decimal(100)), ("jan", 2, Decimal(10))],
                              [(1, 2, Decimal(60)), (1, 3, Decimal(50)), (3, 2, Decimal(40))])
    assert shares[2]["jan"] == Decimal("90.00")  # 10 + 60 + 50 % × 40 %
    assert shares[3]["jan"] == Decimal("50.00")


def test_a_cycle_of_holdings_is_followed_once_per_path():
    shares = effective_shares([("jan", 1, Decimal(100))], [(1, 2, Decimal(50)), (2, 1, Decimal(50))])
    assert shares[2]["jan"] == Decimal("50.00") and shares[1]["jan"] == Decimal("100.00")


IDENTIFIED = dict(id_document_type="paspoort", id_document_number="NW1", id_verified_on=date(2026, 1, 1))
BV = ClientFacts("1002", ClientKind.COMPANY, S.CLIENT, legal_form=LegalForm.BV, rsin="001000044", sbr_enabled=True,
                 ideal_enabled=True, contacts=(ContactFacts("C9", email="info@werk.example"),))


def reasons(facts, **options):
    return [p.reason for p in readiness_problems(facts, today=TODAY, **options)]


def test_a_legal_entity_with_neither_a_ubo_nor_a_pseudo_ubo_has_ubo_unknown():
    assert reasons(BV) == [Reason.UBO_UNKNOWN]
    assert needs_ubo(ClientKind.COMPANY, LegalForm.BV) and not needs_ubo(ClientKind.COMPANY, LegalForm.SOLE_PROPRIETORSHIP)
    pseudo = replace(BV, contacts=(ContactFacts("C9", email="info@werk.example", is_pseudo_ubo=True, **IDENTIFIED),))
    assert reasons(pseudo) == []
    owner = ContactFacts("C1", share_percentage=Decimal("60"), owner_only=True, **IDENTIFIED)  # through a holding
    assert reasons(replace(BV, contacts=(*BV.contacts, owner))) == []


def test_an_owner_through_a_holding_counts_for_ubo_but_not_as_contact_email():
    owner = ContactFacts("C1", email="jan@holding.example", share_percentage=Decimal("60"), owner_only=True)
    assert reasons(replace(BV, contacts=(owner,))) == [Reason.NO_CONTACT_EMAIL, Reason.UBO_NOT_IDENTIFIED]


def test_a_werkstop_is_a_readiness_problem_with_its_reason_and_date():
    stopped = replace(BV, contacts=(ContactFacts("C9", email="i@w.example", is_pseudo_ubo=True, **IDENTIFIED),),
                      work_stop=True, work_stop_reason="facturen onbetaald", work_stop_since=date(2026, 3, 1))
    problems = readiness_problems(stopped, today=TODAY)
    assert [p.reason for p in problems] == [Reason.WORK_STOP]
    assert problems[0].message == "werkstop since 2026-03-01: facturen onbetaald"


def test_acceptance_to_klant_needs_readiness_and_the_engagement_letter_and_kvk_extract():
    prospect = replace(BV, status=S.ACCEPTANCE_ADMIN)
    missing = [p.reason for p in acceptance_problems(prospect, today=TODAY)]
    assert missing == [Reason.UBO_UNKNOWN, Reason.DOCUMENT_MISSING, Reason.DOCUMENT_MISSING]
    complete = replace(prospect, documents=frozenset(DocumentKind),
                       contacts=(ContactFacts("C9", email="i@w.example", is_pseudo_ubo=True, **IDENTIFIED),))
    assert acceptance_problems(complete, today=TODAY) == []


def test_the_unmatched_sentence_masks_a_fiscal_number_that_holds_a_clients_bsn():
    person = ClientCandidate(1, "1004", S.CLIENT, bsn="111222333", ob_number="111222333B01")
    twin = ClientCandidate(2, "1005", S.CLIENT, bsn="111222333", ob_number="111222333B01")
    ret = ReturnFacts(7, Tax.OB, "111222333B01", date(2026, 1, 1), date(2026, 1, 31))
    outcome = match_return(ret, MatchIndex([person, twin], []), today=TODAY)
    assert outcome.reason_code is MatchReason.AMBIGUOUS
    assert "111222333" not in outcome.reason and "*****" in outcome.reason and "1004" in outcome.reason
