"""Matching: tie a return to its client and open case, or say in one reason code why not.

Pure: the caller loads the candidates (set-based) into a MatchIndex and writes the outcomes in
bulk. Identifiers are compared in one canonical form (upper case, no separators, leading zeros).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sbrflow.domain.enums import PRODUCT_OF_TAX, ClientStatus, Frequency, Product, Tax  # PRODUCT_OF_TAX: re-exported
from sbrflow.domain.errors import InvalidIdentifier, InvalidPeriod
from sbrflow.domain.identifiers import (
    mask_identifier,
    normalize_ob_number,
    normalize_payroll_tax_number,
    normalize_rsin,
)
from sbrflow.domain.periods import period_for


class MatchReason(StrEnum):
    """The fixed list of reasons a return stays in the unmatched queue."""

    UNKNOWN_IDENTIFIER = "unknown_identifier"
    AMBIGUOUS = "ambiguous"
    CLIENT_NOT_ACTIVE = "client_not_active"
    NO_SUBSCRIPTION = "no_subscription"
    PERIOD_MISMATCH = "period_mismatch"
    NO_CASE = "no_case"
    CASE_CLOSED = "case_closed"


@dataclass(frozen=True, slots=True)
class ReturnFacts:
    """What matching needs of one received return."""

    return_id: int
    tax: Tax
    fiscal_id: str
    period_start: date
    period_end: date


@dataclass(frozen=True, slots=True)
class SubscriptionFacts:
    """A product a candidate client takes, with its frequency."""

    frequency: Frequency
    quarter_start_month: int | None = None


@dataclass(frozen=True, slots=True)
class ClientCandidate:
    """A client that could own a return."""

    client_id: int
    client_number: str
    status: ClientStatus
    rsin: str | None = None
    bsn: str | None = None
    ob_number: str | None = None
    payroll_tax_number: str | None = None
    subscriptions: dict[Product, SubscriptionFacts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """A planned case a return could belong to."""

    case_id: int
    client_id: int
    product: Product
    period_start: date
    period_end: date
    closed: bool = False  # submitted or closed: a return can no longer change it


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    """Matched (client and case) or unmatched with a reason code and a sentence for the operator."""

    return_id: int
    client_id: int | None = None
    case_id: int | None = None
    reason_code: MatchReason | None = None
    reason: str | None = None

    @property
    def matched(self) -> bool:
        """True when the return belongs to an open case."""
        return self.case_id is not None and self.reason_code is None


# Already in stored form (what the CRM import and the parsers write): no need to re-check it.
_STORED_FORM = {
    normalize_ob_number: re.compile(r"\d{9}B\d{2}"),
    normalize_payroll_tax_number: re.compile(r"\d{9}L\d{2}"),
    normalize_rsin: re.compile(r"\d{9}"),
}


def canonical(value: str | None, normalize) -> str | None:
    """The canonical form of an identifier, or None when it is empty or invalid."""
    if not value:
        return None
    stored = _STORED_FORM.get(normalize)
    if stored is not None and stored.fullmatch(value):
        return value
    try:
        return normalize(value)
    except InvalidIdentifier:
        return None


class MatchIndex:
    """Clients by canonical identifier and cases by (client, product, period): built once per pass."""

    def __init__(self, clients: Iterable[ClientCandidate], cases: Iterable[CaseFacts]) -> None:
        self.by_ob: dict[str, list[ClientCandidate]] = defaultdict(list)
        self.by_fiscal_number: dict[str, list[ClientCandidate]] = defaultdict(list)  # RSIN/BSN with an OB
        self.by_lh: dict[str, list[ClientCandidate]] = defaultdict(list)
        for client in clients:
            if ob := canonical(client.ob_number, normalize_ob_number):
                self.by_ob[ob].append(client)
                self.by_fiscal_number[ob[:9]].append(client)
            if lh := canonical(client.payroll_tax_number, normalize_payroll_tax_number):
                self.by_lh[lh].append(client)
        self.cases = {(c.client_id, c.product, c.period_start, c.period_end): c for c in cases}

    def candidates(self, tax: Tax, fiscal_id: str) -> list[ClientCandidate]:
        """Clients holding the return's identifier (a bare RSIN/BSN counts for VAT via the client's OB-nummer)."""
        if tax is Tax.LH:
            key = canonical(fiscal_id, normalize_payroll_tax_number)
            return self.by_lh.get(key, []) if key else []
        if key := canonical(fiscal_id, normalize_ob_number):
            return self.by_ob.get(key, [])
        if key := canonical(fiscal_id, normalize_rsin):
            return self.by_fiscal_number.get(key, [])
        return []


def _unmatched(ret: ReturnFacts, code: MatchReason, reason: str, client_id: int | None = None) -> MatchOutcome:
    return MatchOutcome(ret.return_id, client_id=client_id, reason_code=code, reason=reason)


def _is_period_of(sub: SubscriptionFacts, start: date, end: date) -> bool:
    try:
        period = period_for(sub.frequency, start, sub.quarter_start_month or 1)
    except InvalidPeriod:
        return False
    return (period.start, period.end) == (start, end)


def shown_fiscal_id(fiscal_id: str, found: Iterable[ClientCandidate]) -> str:
    """The fiscal number as a sentence may show it: masked when it may hold a BSN (personal data).

    It holds a BSN when a candidate client (a person, a sole trader) has that BSN as its first nine
    digits. A number no client has is shown whole: the operator needs it to find the client, and
    nothing says whose number it is.
    """
    digits = re.sub(r"\D", "", fiscal_id)[:9]
    if any(c.bsn and c.bsn == digits for c in found):
        return mask_identifier(fiscal_id)
    return fiscal_id


def match_return(ret: ReturnFacts, index: MatchIndex, *, today: date) -> MatchOutcome:
    """Decide where one return belongs; the reasons are checked in the order an operator fixes them."""
    found = index.candidates(ret.tax, ret.fiscal_id)
    if not found:
        return _unmatched(ret, MatchReason.UNKNOWN_IDENTIFIER,
                          f"no client has {ret.tax.value} number {shown_fiscal_id(ret.fiscal_id, found)}")
    if len(found) > 1:
        numbers = ", ".join(sorted(c.client_number for c in found))
        return _unmatched(ret, MatchReason.AMBIGUOUS,
                          f"{shown_fiscal_id(ret.fiscal_id, found)} belongs to several clients: {numbers}")
    client = found[0]
    if client.status is not ClientStatus.CLIENT:
        return _unmatched(ret, MatchReason.CLIENT_NOT_ACTIVE,
                          f"client {client.client_number} has status {client.status.value}", client.client_id)
    product = PRODUCT_OF_TAX[ret.tax]
    sub = client.subscriptions.get(product)
    if sub is None:
        return _unmatched(ret, MatchReason.NO_SUBSCRIPTION,
                          f"client {client.client_number} does not take {product.value}", client.client_id)
    if not _is_period_of(sub, ret.period_start, ret.period_end):
        return _unmatched(
            ret, MatchReason.PERIOD_MISMATCH,
            f"{ret.period_start}–{ret.period_end} is not a {sub.frequency.value} period of client "
            f"{client.client_number}", client.client_id,
        )
    case = index.cases.get((client.client_id, product, ret.period_start, ret.period_end))
    if case is None:
        when = "has not ended yet; it is planned once it has" if ret.period_end >= today else "has no case planned"
        return _unmatched(ret, MatchReason.NO_CASE,
                          f"period {ret.period_start}–{ret.period_end} of client {client.client_number} {when}",
                          client.client_id)
    if case.closed:
        return _unmatched(ret, MatchReason.CASE_CLOSED,
                          f"the case for client {client.client_number} {ret.period_start}–{ret.period_end} "
                          "is already submitted or closed", client.client_id)
    return MatchOutcome(ret.return_id, client_id=client.client_id, case_id=case.case_id)
