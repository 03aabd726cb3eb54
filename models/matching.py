"""Matching results: which client and case each return belongs to, the case's documents, the audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.domain.matching import MatchReason
from sbrflow.models.base import Base, Timestamps, enum_column


class MatchStatus(StrEnum):
    """Where a received return stands in matching."""

    MATCHED = "matched"
    UNMATCHED = "unmatched"


class MatchMethod(StrEnum):
    """How a match was made: by the rules, or by an operator's manual assignment."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"


class ReturnMatch(Timestamps, Base):
    """The matching outcome of one received return (one row per document, rewritten on every retry)."""

    __tablename__ = "return_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tax_return_document.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[MatchStatus] = mapped_column(enum_column(MatchStatus, "match_status"), index=True)
    reason_code: Mapped[MatchReason | None] = mapped_column(enum_column(MatchReason, "match_reason"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="SET NULL"), index=True)
    method: Mapped[MatchMethod | None] = mapped_column(enum_column(MatchMethod, "match_method"))
    matched_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")


class CaseDocument(Base):
    """A return document attached to a case; exactly one is current, the replaced ones stay as history.

    Approval evidence refers to the current document's SHA-256: a correction that replaces it
    means the client has to approve again.
    """

    __tablename__ = "case_document"
    __table_args__ = (
        sa.UniqueConstraint("document_id"),
        # At most one current document per case (partial unique index, SQLite and PostgreSQL).
        sa.Index("uq_case_document_current", "case_id", unique=True,
                 sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_return_document.id", ondelete="RESTRICT"))
    is_current: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    attached_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    replaced_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AuditEvent(Base):
    """Who did what, when: the one append-only audit trail (manual assignments, every routing move).

    Rows are only ever inserted: on PostgreSQL a trigger (migration 0005) refuses UPDATE and DELETE.
    `actor` is a team member code or `system:<flow-run-id>`; a case's events carry `case_id`, and
    `from_state`/`to_state` say what changed (case states, stage codes or member codes by action).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),
        sa.Index("ix_audit_event_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    actor: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(64))
    subject_id: Mapped[int]
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # Added by routing (0005). No cascade: cases are never deleted, and events never are.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="RESTRICT"))
    from_state: Mapped[str | None] = mapped_column(sa.String(64))
    to_state: Mapped[str | None] = mapped_column(sa.String(64))
