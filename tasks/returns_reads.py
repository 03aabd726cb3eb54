"""Read functions over received returns, their matches and the source packages (for cli/ and web/).

Each opens its own session and returns plain dicts, so the entrypoints hold no SQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from sbrflow.domain.errors import ReturnNotFound, SbrflowError
from sbrflow.domain.matching import MatchReason
from sbrflow.models import Client
from sbrflow.models.cases import Case
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import MatchStatus, ReturnMatch
from sbrflow.models.returns import DocumentStatus, SourcePackage, TaxReturnDocument
from sbrflow.tasks.intake import SourceConfigError, shown_url
from sbrflow.tasks.matching import unmatched_queue


def document_summary(doc: TaxReturnDocument) -> dict[str, Any]:
    """The JSON form of a stored document: the `returns list --json` contract and a little more."""
    return {
        "id": doc.id,
        "source": doc.source_package.name,
        "source_reference": doc.source_reference,
        "tax": doc.tax.value if doc.tax else None,
        "kind": doc.kind,
        "fiscal_id": doc.fiscal_id,
        "period_start": doc.period_start.isoformat() if doc.period_start else None,
        "period_end": doc.period_end.isoformat() if doc.period_end else None,
        "amount_due": None if doc.amount_due is None else str(doc.amount_due),
        "status": doc.status.value,
        "reason": doc.reason,
        "reason_code": doc.reason_code,
        "sha256": doc.sha256,
        "size": doc.size,
        "received_at": doc.received_at.isoformat() if doc.received_at else None,
    }


def match_info(session: Session, document_ids: list[int]) -> dict[int, dict[str, object]]:
    """match_status, client_number, case_id (and the reason) per document id, in one query."""
    info: dict[int, dict[str, object]] = {
        i: {"match_status": None, "client_number": None, "case_id": None, "match_reason_code": None}
        for i in document_ids}
    if not document_ids:
        return info
    for doc_id, status, number, case_id, code in session.execute(
        sa.select(ReturnMatch.document_id, ReturnMatch.status, Client.client_number, ReturnMatch.case_id,
                  ReturnMatch.reason_code)
        .outerjoin(Client, Client.id == ReturnMatch.client_id)
        .where(ReturnMatch.document_id.in_(document_ids))
    ):
        info[doc_id] = {"match_status": status.value, "client_number": number, "case_id": case_id,
                        "match_reason_code": code.value if code else None}
    return info


def list_documents(status: str | None = None, source: str | None = None, limit: int = 0) -> list[dict[str, Any]]:
    """The received documents with their match, oldest first (newest first and at most `limit` when given)."""
    if status is not None and status not in {s.value for s in DocumentStatus}:
        raise SbrflowError(f"unknown status {status!r}; use one of: {', '.join(s.value for s in DocumentStatus)}")
    with unit_of_work() as session:
        query = sa.select(TaxReturnDocument).options(joinedload(TaxReturnDocument.source_package))
        if status is not None:
            query = query.where(TaxReturnDocument.status == DocumentStatus(status))
        if source is not None:
            query = query.join(SourcePackage).where(SourcePackage.name == source)
        query = query.order_by(TaxReturnDocument.id.desc() if limit else TaxReturnDocument.id)
        if limit:
            query = query.limit(limit)
        rows = [document_summary(doc) for doc in session.scalars(query)]
        matches = match_info(session, [r["id"] for r in rows])
        return [r | matches[r["id"]] for r in rows]


def show_document(document_id: int) -> dict[str, Any]:
    """One document's record, origin, status and match (never its employee data)."""
    with unit_of_work() as session:
        doc = session.get(TaxReturnDocument, document_id, options=[joinedload(TaxReturnDocument.source_package)])
        if doc is None:
            raise ReturnNotFound(f"no return document with id {document_id} (see: sbrflow returns list)")
        return document_summary(doc) | {
            "amount_total": None if doc.amount_total is None else str(doc.amount_total),
            "schema": doc.schema, "software": doc.software, "message_ref": doc.message_ref,
            "created_at": doc.document_created_at.isoformat() if doc.document_created_at else None,
            "stored": doc.content_path or "in the database",
        } | match_info(session, [doc.id])[doc.id]


def unmatched_rows(reason: str | None = None) -> list[dict[str, object]]:
    """The unmatched queue (matching's `unmatched_queue`), with a clear error for an unknown reason code."""
    if reason is not None and reason not in {r.value for r in MatchReason}:
        raise SbrflowError(f"unknown reason {reason!r}; use one of: {', '.join(r.value for r in MatchReason)}")
    return unmatched_queue(reason)


def matched_example() -> str | None:
    """A line describing the first matched return and its case (for the demo's summary)."""
    with unit_of_work() as session:
        row = session.execute(
            sa.select(TaxReturnDocument.id, TaxReturnDocument.tax, TaxReturnDocument.fiscal_id, Client.client_number,
                      Case.product, Case.period_label, Case.state)
            .join(ReturnMatch, ReturnMatch.document_id == TaxReturnDocument.id)
            .join(Client, Client.id == ReturnMatch.client_id)
            .join(Case, Case.id == ReturnMatch.case_id)
            .where(ReturnMatch.status == MatchStatus.MATCHED)
            .order_by((Case.state == "return_received").desc(), TaxReturnDocument.id).limit(1)
        ).first()
    if row is None:
        return None
    doc_id, tax, fiscal_id, number, product, label, state = row
    return f"{doc_id}: {tax.value} {fiscal_id} → client {number}, {product.value} {label} (case {state.value})"


def list_sources() -> list[dict[str, object]]:
    """The source packages: kind, where they are, taxes, enabled, cursor, last poll."""
    with unit_of_work() as session:
        return [
            {"name": s.name, "kind": s.kind.value, "location": shown_url(s.url) or s.folder, "token_env": s.token_env,
             "taxes": s.taxes, "enabled": s.enabled, "cursor": s.cursor,
             "last_polled_at": s.last_polled_at.isoformat() if s.last_polled_at else None}
            for s in session.scalars(sa.select(SourcePackage).order_by(SourcePackage.name))
        ]


def disable_source(name: str) -> None:
    """Stop polling a source package (its documents and cursor are kept; `sources add` re-enables)."""
    with unit_of_work() as session:
        row = session.scalars(sa.select(SourcePackage).where(SourcePackage.name == name)).one_or_none()
        if row is None:
            raise SourceConfigError(f"no source package named {name!r} (see: sbrflow sources list)")
        row.enabled = False
