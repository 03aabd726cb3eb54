"""Looking up an approval link: what a valid token shows, the exact document, or why it opens nothing.

One indexed query per lookup (request ⋈ case ⋈ client ⋈ the case's current document); a document's
facts are parsed once per process and kept by SHA-256 (its bytes never change under that hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.approval import (
    LinkNotValid,
    LinkStatus,
    Presentation,
    RequestFacts,
    hash_token,
    link_status,
    well_formed,
)
from sbrflow.domain.case_states import CaseState
from sbrflow.domain.enums import Product, Tax
from sbrflow.domain.errors import InvalidIdentifier, InvalidPeriod, SbrflowError
from sbrflow.domain.payment_reference import payment_reference
from sbrflow.domain.periods import parse_label
from sbrflow.models import ApprovalRequest, Case, Client, TaxReturnDocument
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import CaseDocument


def clock_or(now: datetime | None) -> datetime:
    """The given time, or the clock's (tests pass a fake one)."""
    return now if now is not None else datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime."""
    # SQLite gives naive datetimes back for timezone=True columns; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def current_document(session: Session, case_id: int) -> TaxReturnDocument | None:
    """The case's current return document (the one an approval is given for)."""
    return session.scalar(
        sa.select(TaxReturnDocument).join(CaseDocument, CaseDocument.document_id == TaxReturnDocument.id)
        .where(CaseDocument.case_id == case_id, CaseDocument.is_current.is_(True))
    )


def case_payment_reference(case: Case, client: Client) -> str | None:
    """The betalingskenmerk of the case's period, or None when the client's number is missing or invalid."""
    tax = {Product.VAT_RETURN: Tax.OB, Product.PAYROLL_RETURN: Tax.LH}.get(case.product)
    number = client.ob_number if tax is Tax.OB else client.payroll_tax_number if tax is Tax.LH else None
    if tax is None or not number:
        return None
    try:
        period = parse_label(case.period_label, case.frequency, case.quarter_start_month)
        return payment_reference(number, period, tax)
    except (InvalidIdentifier, InvalidPeriod):
        return None


@dataclass(slots=True)
class FoundRequest:
    request: ApprovalRequest
    case: Case
    client: Client
    current: TaxReturnDocument | None  # the case's current document (None: it has none)


def lookup_request(session: Session, token: str, *, lock: bool = False) -> FoundRequest | None:
    """The request of a token with its case, client and the case's current document: one query."""
    if not well_formed(token):
        return None
    query = (
        sa.select(ApprovalRequest, Case, Client, TaxReturnDocument)
        .join(Case, Case.id == ApprovalRequest.case_id).join(Client, Client.id == Case.client_id)
        .outerjoin(CaseDocument, sa.and_(CaseDocument.case_id == Case.id, CaseDocument.is_current.is_(True)))
        .outerjoin(TaxReturnDocument, TaxReturnDocument.id == CaseDocument.document_id)
        .where(ApprovalRequest.token_sha256 == hash_token(token))
    )
    if lock:
        query = query.with_for_update(of=[ApprovalRequest.__table__, Case.__table__])
    row = session.execute(query).first()
    return FoundRequest(*row) if row is not None else None


def judge_link(found: FoundRequest | None, now: datetime) -> LinkStatus:
    if found is None:
        return LinkStatus.UNKNOWN
    request = found.request
    status = link_status(
        RequestFacts(request.state, as_utc(request.expires_at), request.document_sha256, request.presentation),
        now=now, current_sha256=found.current.sha256 if found.current is not None else None,
    )
    if status is LinkStatus.VALID and found.case.state is not CaseState.WITH_CLIENT:
        return LinkStatus.VOID  # the office took the case back
    return status


@lru_cache(maxsize=4096)
def document_totals(sha256: str, document_id: int) -> tuple[tuple[str, Decimal], ...]:
    """The facts of a document, parsed once per process: a document's bytes never change under its hash."""
    from sbrflow.integrations.sbr.parser import parse_return
    from sbrflow.tasks.intake import read_document_bytes

    with unit_of_work() as session:
        parsed = parse_return(read_document_bytes(session.get(TaxReturnDocument, document_id)))
    if parsed.sha256 != sha256:
        raise SbrflowError(f"document {document_id}: its bytes do not match the stored SHA-256")
    return parsed.totals


@dataclass(frozen=True, slots=True)
class ApprovalPage:
    """Everything the client's page shows; no ORM objects, no employee data."""

    request_id: int
    presentation: Presentation
    client_name: str
    product: Product
    period_label: str
    period_start: date
    period_end: date
    deadline: date | None
    amount_due: Decimal | None
    payment_reference: str | None
    document_sha256: str
    document_kind: str | None
    totals: tuple[tuple[str, Decimal], ...]
    expires_at: datetime


def approval_page(token: str, *, now: datetime | None = None) -> ApprovalPage:
    """What the link shows, or LinkNotValid(unknown | expired | used | void)."""
    now = clock_or(now)
    with unit_of_work() as session:
        found = lookup_request(session, token)
        status = judge_link(found, now)
        if status is not LinkStatus.VALID:
            raise LinkNotValid(status)
        request, case, client, document = found.request, found.case, found.client, found.current
        return ApprovalPage(
            request_id=request.id, presentation=request.presentation, client_name=client.name,
            product=case.product, period_label=case.period_label, period_start=case.period_start,
            period_end=case.period_end, deadline=case.deadline_effective, amount_due=document.amount_due,
            payment_reference=case_payment_reference(case, client), document_sha256=document.sha256,
            document_kind=document.kind, totals=document_totals(document.sha256, document.id),
            expires_at=as_utc(request.expires_at),
        )


def approval_document(token: str, *, now: datetime | None = None) -> tuple[str, bytes, str]:
    """The exact document a valid link is about: (file name, bytes, SHA-256)."""
    from sbrflow.tasks.intake import read_document_bytes

    now = clock_or(now)
    with unit_of_work() as session:
        found = lookup_request(session, token)
        status = judge_link(found, now)
        if status is not LinkStatus.VALID:
            raise LinkNotValid(status)
        document = found.current
        data = read_document_bytes(document)
        suffix = "xbrl" if document.tax is Tax.OB else "xml"
        return f"aangifte-{found.case.period_label}.{suffix}", data, document.sha256
