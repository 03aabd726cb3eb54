"""Readiness: what prevents a client's workflows from running, as reason codes with plain words.

Used by `sbrflow crm check` and by planning (a case of a client that is not ready is created
blocked, with these reasons). Pure: the caller gathers the facts; nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sbrflow.domain.enums import ClientKind, ClientStatus, DocumentKind, LegalForm, Product, Role
from sbrflow.domain.errors import InvalidIdentifier
from sbrflow.domain.identifiers import (
    normalize_bsn,
    normalize_email,
    normalize_ob_number,
    normalize_payroll_tax_number,
    normalize_rsin,
)
from sbrflow.domain.wwft import needs_ubo

# Wwft: a person holding more than 25 % is a UBO (office setting; the seed data of some packages say 20 %).
DEFAULT_UBO_THRESHOLD = Decimal("25")


class Reason(StrEnum):
    """Why a client is not ready; stored with blocked cases and shown by `crm check`."""

    NOT_A_CLIENT = "not_a_client"
    NO_CONTACT_EMAIL = "no_contact_email"
    ROLE_MISSING = "role_missing"
    PRODUCT_NOT_LINKED = "product_not_linked"
    OB_NUMBER_MISSING = "ob_number_missing"
    OB_NUMBER_INVALID = "ob_number_invalid"
    PAYROLL_TAX_NUMBER_MISSING = "payroll_tax_number_missing"
    PAYROLL_TAX_NUMBER_INVALID = "payroll_tax_number_invalid"
    LEGAL_FORM_MISSING = "legal_form_missing"
    RSIN_MISSING = "rsin_missing"
    RSIN_INVALID = "rsin_invalid"
    BSN_MISSING = "bsn_missing"
    BSN_INVALID = "bsn_invalid"
    SBR_NOT_ENABLED = "sbr_not_enabled"
    IDEAL_NOT_ENABLED = "ideal_not_enabled"
    UBO_NOT_IDENTIFIED = "ubo_not_identified"
    UBO_UNKNOWN = "ubo_unknown"
    WORK_STOP = "work_stop"
    DOCUMENT_MISSING = "document_missing"
    RISK_UNACCEPTABLE = "risk_unacceptable"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a client is not ready, with a sentence for the office."""

    reason: Reason
    message: str


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What readiness needs to know of one contact link of the client."""

    contact_number: str
    email: str | None = None
    email_shared: bool = False  # the same address belongs to another person too
    share_percentage: Decimal | None = None
    is_pseudo_ubo: bool = False
    id_document_type: str | None = None
    id_document_number: str | None = None
    id_document_expires_on: date | None = None
    id_verified_on: date | None = None
    # An owner through a holding who is not a contact of this client: counts for UBO, not for e-mail.
    owner_only: bool = False


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """What readiness needs to know of one client (gathered set-based by the caller)."""

    client_number: str
    kind: ClientKind
    status: ClientStatus
    legal_form: LegalForm | None = None
    rsin: str | None = None
    bsn: str | None = None
    ob_number: str | None = None
    payroll_tax_number: str | None = None
    sbr_enabled: bool = False
    ideal_enabled: bool = False
    products: frozenset[Product] = frozenset()
    roles: frozenset[Role] = frozenset()  # roles held by an active team member (general assignments)
    # Per product with its own assignments: the roles held for that product (an override wins over
    # the general holder, and counts only when its member is active). Products not listed use `roles`.
    roles_for: Mapping[Product, frozenset[Role]] = field(default_factory=dict)
    # Contacts with their effective share (direct + through holdings), plus owners who are not contacts.
    contacts: tuple[ContactFacts, ...] = field(default_factory=tuple)
    work_stop: bool = False
    work_stop_reason: str | None = None
    work_stop_since: date | None = None
    documents: frozenset[DocumentKind] = frozenset()  # the acceptance documents registered
    risk_class: str | None = None  # Wwft risk classification: low, high, unacceptable (tasks/crm_risk.py)


@dataclass(frozen=True, slots=True)
class RoleHolders:
    """Who holds which role for which client: THE role rule, used by readiness and by routing.

    The holder of a role for a client and product is the member of the product's own assignment
    (override) when there is one, else the member of the general assignment; a holder counts only
    while active — an inactive override is not covered by the general holder.
    """

    # (client key, role) → (member key, active); (client key, product, role) → (member key, active)
    general: Mapping[tuple[object, Role], tuple[object, bool]] = field(default_factory=dict)
    overrides: Mapping[tuple[object, Product, Role], tuple[object, bool]] = field(default_factory=dict)

    def holder(self, client: object, role: Role, product: Product | None = None) -> object | None:
        """The active member who holds `role` for this client (and product), or None."""
        if product is not None:
            own = self.overrides.get((client, product, role))
            if own is not None:
                return own[0] if own[1] else None
        general = self.general.get((client, role))
        return general[0] if general is not None and general[1] else None

    def held(self, client: object, product: Product | None = None) -> frozenset[Role]:
        """Every role an active member holds for this client (and product)."""
        return frozenset(r for r in Role if self.holder(client, r, product) is not None)

    def products_with_overrides(self, client: object) -> frozenset[Product]:
        return frozenset(p for (c, p, _r) in self.overrides if c == client)


def _valid(normalize, value: str | None) -> bool:
    try:
        normalize(value)
    except InvalidIdentifier:
        return False
    return True


def _uses_bsn(facts: ClientFacts) -> bool:
    """A natural person, and a sole proprietorship without an RSIN, are known to the tax office by BSN."""
    if facts.kind is ClientKind.PERSON or facts.legal_form is LegalForm.NATURAL_PERSON:
        return True
    return facts.legal_form is LegalForm.SOLE_PROPRIETORSHIP and not facts.rsin and bool(facts.bsn)


def _fiscal_problems(facts: ClientFacts, products: Iterable[Product]) -> list[Problem]:
    # Messages never echo a number: the OB-nummer and loonheffingennummer of a person hold the BSN.
    problems: list[Problem] = []
    if facts.legal_form is None:
        problems.append(Problem(Reason.LEGAL_FORM_MISSING, "no legal form (rechtsvorm) is set"))
    if not _uses_bsn(facts):
        if not facts.rsin:
            problems.append(Problem(Reason.RSIN_MISSING, "no RSIN is set"))
        elif not _valid(normalize_rsin, facts.rsin):
            problems.append(Problem(Reason.RSIN_INVALID, "the RSIN is not valid (it fails the elfproef)"))
    elif not facts.bsn:
        problems.append(Problem(Reason.BSN_MISSING, "no BSN is set"))
    elif not _valid(normalize_bsn, facts.bsn):
        problems.append(Problem(Reason.BSN_INVALID, "the BSN is not valid (it fails the elfproef)"))
    if Product.VAT_RETURN in products:
        if not facts.ob_number:
            problems.append(Problem(Reason.OB_NUMBER_MISSING, "no OB-nummer is set, needed for the VAT return"))
        elif not _valid(normalize_ob_number, facts.ob_number):
            problems.append(Problem(Reason.OB_NUMBER_INVALID, "the OB-nummer is not valid"))
    if Product.PAYROLL_RETURN in products:
        if not facts.payroll_tax_number:
            problems.append(Problem(Reason.PAYROLL_TAX_NUMBER_MISSING,
                                    "no loonheffingennummer is set, needed for the payroll return"))
        elif not _valid(normalize_payroll_tax_number, facts.payroll_tax_number):
            problems.append(Problem(Reason.PAYROLL_TAX_NUMBER_INVALID, "the loonheffingennummer is not valid"))
    return problems


def _contact_problems(facts: ClientFacts, today: date, ubo_threshold: Decimal) -> list[Problem]:
    problems: list[Problem] = []
    if not any(c.email and not c.email_shared and not c.owner_only and _valid(normalize_email, c.email)
               for c in facts.contacts):
        problems.append(Problem(Reason.NO_CONTACT_EMAIL,
                                "no contact person with a valid e-mail address of their own"))
    found = False
    for contact in facts.contacts:
        is_ubo = contact.is_pseudo_ubo or (
            contact.share_percentage is not None and contact.share_percentage > ubo_threshold
        )
        found |= is_ubo
        if is_ubo and not is_identified(contact, today):
            problems.append(Problem(Reason.UBO_NOT_IDENTIFIED,
                                    f"UBO {contact.contact_number} has no valid identification (Wwft)"))
    if not found and needs_ubo(facts.kind, facts.legal_form):
        problems.append(Problem(Reason.UBO_UNKNOWN, f"no UBO (more than {ubo_threshold.normalize():f} %, directly "
                                                    "or through holdings) and no pseudo-UBO is registered (Wwft)"))
    return problems


def is_identified(contact: ContactFacts, today: date) -> bool:
    """A Wwft identification counts when document, number and verification are there and it has not expired."""
    return bool(
        contact.id_document_type
        and contact.id_document_number
        and contact.id_verified_on
        and (contact.id_document_expires_on is None or contact.id_document_expires_on >= today)
    )


def readiness_problems(
    facts: ClientFacts,
    *,
    today: date,
    product: Product | None = None,
    required_roles: Iterable[Role] = (),
    ubo_threshold: Decimal = DEFAULT_UBO_THRESHOLD,
) -> list[Problem]:
    """Everything that prevents this client's workflows (for one product, or all it takes) from running."""
    if facts.status is not ClientStatus.CLIENT:
        return [Problem(Reason.NOT_A_CLIENT, f"status is {facts.status.value}, only 'client' is planned")]
    problems: list[Problem] = []
    if facts.work_stop:
        since = f" since {facts.work_stop_since.isoformat()}" if facts.work_stop_since else ""
        why = f": {facts.work_stop_reason}" if facts.work_stop_reason else ""
        problems.append(Problem(Reason.WORK_STOP, f"werkstop{since}{why}"))
    if facts.risk_class == "unacceptable":  # Wwft: no acceptance and no work for an unacceptable risk
        problems.append(Problem(Reason.RISK_UNACCEPTABLE, "the Wwft risk classification is unacceptable"))
    if product is not None and product not in facts.products:
        problems.append(Problem(Reason.PRODUCT_NOT_LINKED, f"the client does not take {product.value}"))
    products = [product] if product is not None else sorted(facts.products)
    problems += _fiscal_problems(facts, products)
    held = facts.roles_for.get(product, facts.roles) if product is not None else facts.roles
    for role in sorted(set(required_roles) - held):
        problems.append(Problem(Reason.ROLE_MISSING, f"no active team member holds the role {role.value}"))
    if not facts.sbr_enabled:
        problems.append(Problem(Reason.SBR_NOT_ENABLED, "SBR is not enabled for this client"))
    if not facts.ideal_enabled:
        problems.append(Problem(Reason.IDEAL_NOT_ENABLED, "iDEAL is not enabled for this client"))
    problems += _contact_problems(facts, today, ubo_threshold)
    return problems


def required_documents(facts: ClientFacts) -> list[DocumentKind]:
    """The documents acceptance needs: a signed engagement letter, and a KvK extract for a company."""
    needed = [DocumentKind.ENGAGEMENT_LETTER]
    if facts.kind is ClientKind.COMPANY:
        needed.append(DocumentKind.KVK_EXTRACT)
    return needed


def acceptance_problems(facts: ClientFacts, *, today: date,
                        ubo_threshold: Decimal = DEFAULT_UBO_THRESHOLD) -> list[Problem]:
    """What keeps a client from being accepted as Klant: readiness as a client, the Wwft items, documents."""
    as_client = replace(facts, status=ClientStatus.CLIENT)
    problems = readiness_problems(as_client, today=today, ubo_threshold=ubo_threshold)
    for kind in required_documents(facts):
        if kind not in facts.documents:
            problems.append(Problem(Reason.DOCUMENT_MISSING, f"no {DOCUMENT_WORDS[kind]} is registered"))
    return problems


DOCUMENT_WORDS = {
    DocumentKind.ENGAGEMENT_LETTER: "signed engagement letter (opdrachtbevestiging)",
    DocumentKind.KVK_EXTRACT: "KvK extract (uittreksel Kamer van Koophandel)",
}
