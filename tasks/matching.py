"""Match received returns to clients and cases in one set-based pass; manual assignment by an operator."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

import sqlalchemy as sa
from prefect import task
from sqlalchemy.orm import Session

from sbrflow.domain.approval import VoidReason
from sbrflow.domain.case_states import FINISHED, CaseState
from sbrflow.domain.enums import Product, Tax
from sbrflow.domain.errors import Refused
from sbrflow.domain.matching import (
    PRODUCT_OF_TAX,
    CaseFacts,
    ClientCandidate,
    MatchIndex,
    MatchOutcome,
    MatchReason,
    ReturnFacts,
    SubscriptionFacts,
    match_return,
)
from sbrflow.domain.routing import Event, on_document_attached
from sbrflow.integrations.sbr.record import ReturnKind
from sbrflow.models import Client, Subscription
from sbrflow.models.bulk import bulk_insert
from sbrflow.models.cases import Case
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import AuditEvent, CaseDocument, MatchMethod, MatchStatus, ReturnMatch
from sbrflow.models.returns import DocumentStatus, TaxReturnDocument
from sbrflow.tasks.approval import void_open_requests
from sbrflow.tasks.audit import record_events, system_actor
from sbrflow.tasks.locks import exclusive

# What a new or corrected document does to its case is decided by domain.routing.on_document_attached.


class ManualAssignError(Refused):
    """An operator's manual assignment that cannot be carried out; the message says why."""


def _pending_returns(session: Session) -> tuple[list[ReturnFacts], set[int]]:
    """Received documents without a match yet, oldest first (so the newest ends current), and the ICP ones."""
    rows = session.execute(
        sa.select(TaxReturnDocument.id, TaxReturnDocument.tax, TaxReturnDocument.fiscal_id,
                  TaxReturnDocument.period_start, TaxReturnDocument.period_end, TaxReturnDocument.kind)
        .outerjoin(ReturnMatch, ReturnMatch.document_id == TaxReturnDocument.id)
        .where(TaxReturnDocument.status == DocumentStatus.RECEIVED,
               sa.or_(ReturnMatch.id.is_(None), ReturnMatch.status == MatchStatus.UNMATCHED))
        .order_by(sa.func.coalesce(TaxReturnDocument.document_created_at, TaxReturnDocument.received_at),
                  TaxReturnDocument.id)
    )
    returns, listings = [], set()
    for i, tax, fid, start, end, kind in rows:
        returns.append(ReturnFacts(i, tax, fid, start, end))
        if kind == ReturnKind.ICP:
            listings.add(i)
    return returns, listings


def _index(session: Session, returns: list[ReturnFacts]) -> MatchIndex:
    """Every client with a fiscal identifier, and the cases of the periods these returns cover."""
    subs: dict[int, dict[Product, SubscriptionFacts]] = defaultdict(dict)
    for client_id, product, frequency, qsm in session.execute(
        sa.select(Subscription.client_id, Subscription.product, Subscription.frequency,
                  Subscription.quarter_start_month)
        .where(Subscription.product.in_(list(PRODUCT_OF_TAX.values())))
    ):
        subs[client_id][product] = SubscriptionFacts(frequency, qsm)
    clients = [
        ClientCandidate(cid, number, status, rsin=rsin, bsn=bsn, ob_number=ob, payroll_tax_number=lh,
                        subscriptions=subs.get(cid, {}))
        for cid, number, status, rsin, bsn, ob, lh in session.execute(
            sa.select(Client.id, Client.client_number, Client.status, Client.rsin, Client.bsn,
                      Client.ob_number, Client.payroll_tax_number)
            .where(sa.or_(Client.ob_number.is_not(None), Client.payroll_tax_number.is_not(None)))
        )
    ]
    starts = sorted({r.period_start for r in returns})
    cases = [
        CaseFacts(cid, client_id, product, start, end, closed=state in FINISHED)
        for cid, client_id, product, start, end, state in session.execute(
            sa.select(Case.id, Case.client_id, Case.product, Case.period_start, Case.period_end, Case.state)
            .where(Case.product.in_(list(PRODUCT_OF_TAX.values())), Case.period_start.in_(starts))
        )
    ] if starts else []
    return MatchIndex(clients, cases)


def _current_documents(session: Session, case_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(case_ids))
    if not ids:
        return {}
    return dict(session.execute(
        sa.select(CaseDocument.case_id, CaseDocument.document_id)
        .where(CaseDocument.case_id.in_(ids), CaseDocument.is_current.is_(True))
    ).all())


def _attach(session: Session, matched: list[MatchOutcome], now: datetime,
            listings: Collection[int] = frozenset(), actor: str = "system") -> dict[str, int]:
    """Attach matched documents to their cases; a newer one replaces the current one, kept as history.

    An ICP opgaaf (EU sales listing) belongs to the case too, but never replaces the return itself.
    """
    supporting = [{"case_id": o.case_id, "document_id": o.return_id, "is_current": False, "attached_at": now,
                   "replaced_at": None} for o in matched if o.return_id in listings]
    if supporting:
        bulk_insert(session, CaseDocument, supporting)
    matched = [o for o in matched if o.return_id not in listings]
    if not matched:
        return {"corrections": 0, "cases_return_received": 0}
    current = _current_documents(session, (o.case_id for o in matched))
    states = {cid: (state, stage) for cid, state, stage in session.execute(
        sa.select(Case.id, Case.state, Case.current_stage)
        .where(Case.id.in_(list(current.keys() | {o.case_id for o in matched})))
    )}
    replaced: list[int] = []
    moves: dict[int, Event] = {}
    corrections = 0
    for outcome in matched:  # oldest first: the last one for a case ends up current
        case_id = outcome.case_id
        replaces = case_id in current
        if replaces:
            replaced.append(case_id)
            corrections += 1
        state, stage = states[case_id]
        move = on_document_attached(state, replaces_current=replaces, routed=stage is not None)
        if move is not None and case_id not in moves:
            states[case_id] = (move[0], None)
            moves[case_id] = replace(move[1], details={**move[1].details, "document_id": outcome.return_id})
        current[case_id] = outcome.return_id
    if replaced:
        session.execute(
            sa.update(CaseDocument)
            .where(CaseDocument.case_id.in_(list(set(replaced))), CaseDocument.is_current.is_(True))
            .values(is_current=False, replaced_at=now)
        )
        # An approval was given (or asked) for the old document's SHA-256: it no longer counts.
        void_open_requests(session, sorted(set(replaced)), VoidReason.DOCUMENT_REPLACED, now)
    history = [{"case_id": o.case_id, "document_id": o.return_id, "is_current": False, "attached_at": now,
                "replaced_at": now} for o in matched if current[o.case_id] != o.return_id]
    # Every case in `current` got at least one document of this batch, and the last one is current.
    latest = [{"case_id": c, "document_id": d, "is_current": True, "attached_at": now, "replaced_at": None}
              for c, d in current.items()]
    bulk_insert(session, CaseDocument, history + latest)
    to_received = list(moves)
    if to_received:
        session.execute(
            sa.update(Case).where(Case.id.in_(to_received))
            .values(state=CaseState.RETURN_RECEIVED, current_stage=None, blocked_reasons=None, updated_at=now)
        )
        record_events(session, [(case_id, event) for case_id, event in moves.items()], actor=actor, now=now)
    return {"corrections": corrections, "cases_return_received": len(to_received)}


def _write_outcomes(session: Session, outcomes: list[MatchOutcome], now: datetime) -> None:
    existing = dict(session.execute(
        sa.select(ReturnMatch.document_id, ReturnMatch.id)
        .where(ReturnMatch.document_id.in_([o.return_id for o in outcomes]))
    ).all()) if outcomes else {}
    rows = [{
        "document_id": o.return_id, "client_id": o.client_id, "case_id": o.case_id,
        "status": MatchStatus.MATCHED if o.matched else MatchStatus.UNMATCHED,
        "reason_code": o.reason_code, "reason": o.reason,
        "method": MatchMethod.AUTOMATIC if o.matched else None, "matched_at": now if o.matched else None,
    } for o in outcomes]
    new = [r for r in rows if r["document_id"] not in existing]
    if new:
        bulk_insert(session, ReturnMatch, [{**r, "attempts": 1} for r in new])
    updates = [{"b_id": existing[r["document_id"]], **r} for r in rows if r["document_id"] in existing]
    if updates:
        session.connection().execute(
            sa.update(ReturnMatch.__table__).where(ReturnMatch.__table__.c.id == sa.bindparam("b_id"))
            .values(client_id=sa.bindparam("client_id"), case_id=sa.bindparam("case_id"),
                    status=sa.bindparam("status"), reason_code=sa.bindparam("reason_code"),
                    reason=sa.bindparam("reason"), method=sa.bindparam("method"),
                    matched_at=sa.bindparam("matched_at"), attempts=ReturnMatch.__table__.c.attempts + 1,
                    updated_at=now),
            [{k: v for k, v in u.items() if k != "document_id"} for u in updates],
        )


def match_pending(session: Session, *, today: date, now: datetime | None = None, actor: str = "system",
                  ) -> dict[str, object]:
    """One pass over every return not matched yet; returns the counts of the pass."""
    now = now or datetime.now(UTC)
    returns, listings = _pending_returns(session)
    if not returns:
        return {"considered": 0, "matched": 0, "unmatched": {}, "unmatched_named": {}, "corrections": 0,
                "cases_return_received": 0}
    index = _index(session, returns)
    outcomes = [match_return(r, index, today=today) for r in returns]
    matched = [o for o in outcomes if o.matched]
    attached = _attach(session, matched, now, listings, actor=actor)
    _write_outcomes(session, outcomes, now)
    reasons = Counter(o.reason_code.value for o in outcomes if not o.matched)
    return {"considered": len(returns), "matched": len(matched), "unmatched": dict(sorted(reasons.items())),
            "unmatched_named": _named(session, [o for o in outcomes if not o.matched]), **attached}


def _named(session: Session, unmatched: list[MatchOutcome], listed: int = 20) -> dict[str, list[str]]:
    """Per reason code, the first `listed` unmatched returns as an operator finds them: the client's number
    when the return was tied to a client, else `return <id>` (never its fiscal id: it may hold a BSN)."""
    first: dict[str, list[MatchOutcome]] = defaultdict(list)
    for outcome in unmatched:
        if outcome.reason_code is not None and len(first[outcome.reason_code.value]) < listed:
            first[outcome.reason_code.value].append(outcome)
    ids = {o.client_id for found in first.values() for o in found if o.client_id is not None}
    numbers = dict(session.execute(sa.select(Client.id, Client.client_number).where(Client.id.in_(ids))).all()) \
        if ids else {}
    return {code: [numbers[o.client_id] if o.client_id in numbers else f"return {o.return_id}" for o in found]
            for code, found in sorted(first.items())}


@task(name="match-pending-returns")
def match_pending_returns(today: date | None = None) -> dict[str, object]:
    """Match every received return that is not matched yet, in one transaction (one pass at a time)."""
    with exclusive("match-returns", what="matching (match-returns)"), unit_of_work() as session:
        return match_pending(session, today=today or date.today(), actor=system_actor())


def _case_for(session: Session, client: Client, product: Product, doc: TaxReturnDocument,
              period_label: str | None) -> Case:
    query = sa.select(Case).where(Case.client_id == client.id, Case.product == product)
    if period_label:
        query = query.where(Case.period_label == period_label)
    else:
        query = query.where(Case.period_start == doc.period_start, Case.period_end == doc.period_end)
    case = session.scalars(query).one_or_none()
    if case is None:
        which = f"period {period_label}" if period_label else f"{doc.period_start}–{doc.period_end}"
        raise ManualAssignError(f"client {client.client_number} has no {product.value} case for {which}; "
                                "plan it first (sbrflow rerun CLIENT) or give --period")
    if case.state in FINISHED:
        raise ManualAssignError(f"the case {case.period_label} of client {client.client_number} is {case.state.value}")
    return case


def assign_manually(session: Session, document_id: int, client_number: str, *, period_label: str | None,
                    actor: str, now: datetime | None = None) -> dict[str, object]:
    """The operator's fix: tie a return to a client's case by hand, recorded in the audit trail."""
    now = now or datetime.now(UTC)
    doc = session.get(TaxReturnDocument, document_id)
    if doc is None or doc.status is not DocumentStatus.RECEIVED:
        raise ManualAssignError(f"return {document_id} does not exist or was rejected at intake")
    client = session.scalars(sa.select(Client).where(Client.client_number == client_number)).one_or_none()
    if client is None:
        raise ManualAssignError(f"no client with client number {client_number}")
    product = PRODUCT_OF_TAX[Tax(doc.tax)]
    case = _case_for(session, client, product, doc, period_label)
    match = session.scalars(sa.select(ReturnMatch).where(ReturnMatch.document_id == doc.id)).one_or_none()
    if match is not None and match.status is MatchStatus.MATCHED:
        raise ManualAssignError(f"return {document_id} is already matched to case {match.case_id}")
    listings = {doc.id} if doc.kind == ReturnKind.ICP else set()
    attached = _attach(session, [MatchOutcome(doc.id, client_id=client.id, case_id=case.id)], now, listings,
                       actor=actor)
    if match is None:
        match = ReturnMatch(document_id=doc.id, attempts=0)
        session.add(match)
    match.status, match.client_id, match.case_id = MatchStatus.MATCHED, client.id, case.id
    match.reason_code, match.reason, match.method, match.matched_at = None, None, MatchMethod.MANUAL, now
    session.add(AuditEvent(occurred_at=now, actor=actor, action="return.assign", subject_type="tax_return_document",
                           subject_id=doc.id, case_id=case.id,
                           details={"client_number": client_number, "case_id": case.id,
                                    "period_label": case.period_label}))
    return {"document_id": doc.id, "client_number": client_number, "case_id": case.id,
            "period_label": case.period_label, **attached}


def assign_return(document_id: int, client_number: str, *, period_label: str | None, actor: str,
                  now: datetime | None = None) -> dict[str, object]:
    """`assign_manually` in its own unit of work: what `sbrflow returns assign` and the team pages call."""
    with unit_of_work() as session:
        return assign_manually(session, document_id, client_number, period_label=period_label, actor=actor, now=now)


def unmatched_queue(reason: MatchReason | str | None = None) -> list[dict[str, object]]:
    """The unmatched queue: id, fiscal_id, tax, period_start, period_end, reason_code, reason, client_number."""
    reason = MatchReason(reason) if reason else None
    with unit_of_work() as session:
        query = (
            sa.select(TaxReturnDocument.id, TaxReturnDocument.fiscal_id, TaxReturnDocument.tax,
                      TaxReturnDocument.period_start, TaxReturnDocument.period_end, ReturnMatch.reason_code,
                      ReturnMatch.reason, Client.client_number)
            .join(ReturnMatch, ReturnMatch.document_id == TaxReturnDocument.id)
            .outerjoin(Client, Client.id == ReturnMatch.client_id)
            .where(ReturnMatch.status == MatchStatus.UNMATCHED)
            .order_by(TaxReturnDocument.id)
        )
        if reason is not None:
            query = query.where(ReturnMatch.reason_code == reason)
        return [
            {"id": i, "fiscal_id": fid, "tax": tax.value if tax else None,
             "period_start": start.isoformat() if start else None,
             "period_end": end.isoformat() if end else None,
             "reason_code": code.value, "reason": text, "client_number": number}
            for i, fid, tax, start, end, code, text, number in session.execute(query)
        ]
