"""`sbrflow returns match | unmatched | assign`: the matching part of the returns commands."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import sqlalchemy as sa
import typer

from sbrflow.domain.matching import MatchReason
from sbrflow.models import Client
from sbrflow.models.db import unit_of_work
from sbrflow.models.matching import MatchStatus, ReturnMatch
from sbrflow.models.returns import TaxReturnDocument
from sbrflow.tasks.matching import assign_return, unmatched_queue


def match_info(session, document_ids: list[int]) -> dict[int, dict[str, object]]:
    """match_status, client_number, case_id (and the reason) per document id, in one query."""
    info = {i: {"match_status": None, "client_number": None, "case_id": None, "match_reason_code": None}
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


def unmatched_rows(reason: MatchReason | None = None) -> list[dict[str, object]]:
    """The unmatched queue: id, fiscal_id, tax, period_start, reason_code, reason (oldest first)."""
    return unmatched_queue(reason)


def matched_example() -> str | None:
    """A line describing the first matched return and its case (for the demo's summary)."""
    from sbrflow.models.cases import Case

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


def register(returns_app: typer.Typer) -> None:
    """Add the matching commands to the `returns` command group."""

    @returns_app.command("match")
    def match() -> None:
        """Match every received return not matched yet (runs the match-returns flow)."""
        from sbrflow.flows.matching import match_returns

        summary = match_returns()
        typer.echo(f"considered {summary['considered']}, matched {summary['matched']}, "
                   f"corrections {summary['corrections']}, unmatched "
                   + (", ".join(f"{k}={v}" for k, v in summary["unmatched"].items()) or "0"))

    @returns_app.command("unmatched")
    def unmatched(
        reason: Annotated[MatchReason | None, typer.Option(help="Only this reason code.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    ) -> None:
        """The unmatched queue, with each return's reason."""
        rows = unmatched_rows(reason)
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            typer.echo("no unmatched returns")
        for row in rows:
            typer.echo(f"{row['id']:>6}  {row['tax']}  {row['fiscal_id'] or '-':<13} {row['period_start']}  "
                       f"{row['reason_code']:<18} {row['reason']}")

    @returns_app.command("assign")
    def assign(
        return_id: Annotated[int, typer.Argument(help="The return's id (see: sbrflow returns unmatched).")],
        client: Annotated[str, typer.Option("--client", help="The client number to assign it to.")],
        period: Annotated[str | None, typer.Option("--period", help="Period label of the case, e.g. 2026-Q1.")] = None,
        by: Annotated[str | None, typer.Option("--by", help="Who does this (default: your user name).")] = None,
    ) -> None:
        """Tie a return to a client's case by hand; recorded in the audit trail (who, when)."""
        actor = by or getpass.getuser()
        result = assign_return(return_id, client, period_label=period, actor=actor)
        typer.echo(f"return {result['document_id']} assigned to client {result['client_number']}, "
                   f"case {result['case_id']} ({result['period_label']}) by {actor}")
