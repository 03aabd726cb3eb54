"""Readiness rules: what keeps a client's workflows from running, decided from facts alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sbrflow.domain.enums import ClientKind, ClientStatus, LegalForm, Product, Role
from sbrflow.domain.readiness import ClientFacts, ContactFacts, Reason, is_identified, readiness_problems

TODAY = date(2026, 11, 23)
IDENTIFIED = dict(id_document_type="paspoort", id_document_number="NW1234567", id_verified_on=date(2026, 1, 15))
# The DGA holds all shares and is identified: a BV needs a UBO (ubo_unknown otherwise).
DGA = ContactFacts("C001", email="piet@jansen.example", share_percentage=Decimal("100"), **IDENTIFIED)
READY = ClientFacts(
    client_number="1001", kind=ClientKind.COMPANY, status=ClientStatus.CLIENT, legal_form=LegalForm.BV,
    rsin="001000044", ob_number="001000044B37", payroll_tax_number="001000044L01", sbr_enabled=True,
    ideal_enabled=True, products=frozenset({Product.VAT_RETURN, Product.PAYROLL_RETURN}),
    roles=frozenset(Role), contacts=(DGA,),
)

def reasons(facts: ClientFacts, **options) -> list[Reason]:
    return [problem.reason for problem in readiness_problems(facts, today=TODAY, **options)]


def test_a_complete_client_is_ready():
    assert reasons(READY, product=Product.VAT_RETURN, required_roles=set(Role)) == []


def test_a_client_without_status_client_is_not_planned_and_nothing_else_is_said():
    assert reasons(replace(READY, status=ClientStatus.PROSPECT)) == [Reason.NOT_A_CLIENT]


def test_a_product_the_client_does_not_take_is_not_linked():
    assert Reason.PRODUCT_NOT_LINKED in reasons(replace(READY, products=frozenset()), product=Product.VAT_RETURN)


def test_a_missing_or_invalid_ob_number_blocks_the_vat_return_and_is_not_echoed():
    assert Reason.OB_NUMBER_MISSING in reasons(replace(READY, ob_number=None), product=Product.VAT_RETURN)
    problems = readiness_problems(replace(READY, ob_number="001000045B37"), today=TODAY, product=Product.VAT_RETURN)
    assert [p.reason for p in problems] == [Reason.OB_NUMBER_INVALID]
    assert "001000045" not in problems[0].message
    # only the products asked for (or taken) count
    assert reasons(replace(READY, ob_number=None), product=Product.PAYROLL_RETURN) == []


def test_a_missing_or_invalid_loonheffingennummer_blocks_the_payroll_return():
    assert reasons(replace(READY, payroll_tax_number=None), product=Product.PAYROLL_RETURN) == [
        Reason.PAYROLL_TAX_NUMBER_MISSING]
    assert reasons(replace(READY, payroll_tax_number="001000044X01"), product=Product.PAYROLL_RETURN) == [
        Reason.PAYROLL_TAX_NUMBER_INVALID]


def test_legal_form_and_rsin_are_needed_for_a_company():
    assert reasons(replace(READY, legal_form=None, rsin=None)) == [Reason.LEGAL_FORM_MISSING, Reason.RSIN_MISSING]
    assert reasons(replace(READY, rsin="001000045")) == [Reason.RSIN_INVALID]


def test_a_person_and_a_sole_trader_without_rsin_need_a_valid_bsn_which_is_never_shown():
    person = replace(READY, kind=ClientKind.PERSON, legal_form=LegalForm.NATURAL_PERSON, rsin=None, bsn=None,
                     products=frozenset())
    assert reasons(person) == [Reason.BSN_MISSING]
    problems = readiness_problems(replace(person, bsn="111222334"), today=TODAY)
    assert [p.reason for p in problems] == [Reason.BSN_INVALID] and "111222334" not in problems[0].message
    sole_trader = replace(READY, legal_form=LegalForm.SOLE_PROPRIETORSHIP, rsin=None, bsn="111222333")
    assert reasons(sole_trader) == []


def test_a_role_the_workflow_needs_without_a_team_member_is_reported_per_role():
    facts = replace(READY, roles=frozenset({Role.FISCAAL}))
    problems = readiness_problems(facts, today=TODAY, required_roles=[Role.SALARIS, Role.FISCAAL, Role.ACCOUNTANT])
    assert [(p.reason, p.message.split()[-1]) for p in problems] == [
        (Reason.ROLE_MISSING, "accountant"), (Reason.ROLE_MISSING, "salaris")]


def test_sbr_and_ideal_must_be_enabled():
    assert reasons(replace(READY, sbr_enabled=False, ideal_enabled=False)) == [
        Reason.SBR_NOT_ENABLED, Reason.IDEAL_NOT_ENABLED]


def test_a_client_needs_a_contact_with_a_valid_email_of_their_own():
    # The UBO (through a holding, identified) is there throughout: only the e-mail rule is at stake.
    owner = ContactFacts("C0", share_percentage=Decimal("100"), owner_only=True, **IDENTIFIED)
    assert reasons(replace(READY, contacts=(owner,))) == [Reason.NO_CONTACT_EMAIL]
    assert reasons(replace(READY, contacts=(owner, ContactFacts("C1", email="not an address")))) == [
        Reason.NO_CONTACT_EMAIL]
    shared = ContactFacts("C1", email="info@jansen.example", email_shared=True)
    assert reasons(replace(READY, contacts=(owner, shared))) == [Reason.NO_CONTACT_EMAIL]
    assert reasons(replace(READY, contacts=(shared, DGA))) == []


def test_a_ubo_above_the_threshold_needs_a_valid_identification():
    owner = ContactFacts("C001", email="piet@jansen.example", share_percentage=Decimal("30"))
    assert reasons(replace(READY, contacts=(owner,))) == [Reason.UBO_NOT_IDENTIFIED]
    assert reasons(replace(READY, contacts=(replace(owner, **IDENTIFIED),))) == []
    expired = replace(owner, **IDENTIFIED, id_document_expires_on=date(2026, 11, 22))
    assert reasons(replace(READY, contacts=(expired,))) == [Reason.UBO_NOT_IDENTIFIED]


def test_the_ubo_threshold_is_exclusive_and_an_office_setting():
    bare = ContactFacts("C001", email="piet@jansen.example")
    at_threshold = replace(READY, contacts=(replace(bare, share_percentage=Decimal("25")),))
    assert reasons(at_threshold) == [Reason.UBO_UNKNOWN]  # 25 % is not more than 25 %: no UBO found
    assert reasons(at_threshold, ubo_threshold=Decimal("20")) == [Reason.UBO_NOT_IDENTIFIED]
    pseudo = replace(READY, contacts=(replace(bare, is_pseudo_ubo=True),))
    assert reasons(pseudo) == [Reason.UBO_NOT_IDENTIFIED]


def test_an_identification_counts_until_the_document_expires():
    contact = ContactFacts("C1", **IDENTIFIED, id_document_expires_on=TODAY)
    assert is_identified(contact, TODAY) and not is_identified(contact, date(2026, 11, 24))
    assert not is_identified(ContactFacts("C1", id_document_type="paspoort"), TODAY)


def test_a_product_with_its_own_role_assignments_is_judged_on_those_roles():
    facts = replace(READY, roles=frozenset(Role),
                    roles_for={Product.PAYROLL_RETURN: frozenset(Role) - {Role.SALARIS}})
    assert reasons(facts, product=Product.PAYROLL_RETURN, required_roles=[Role.SALARIS]) == [Reason.ROLE_MISSING]
    assert reasons(facts, product=Product.VAT_RETURN, required_roles=[Role.SALARIS]) == []
