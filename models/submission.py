"""Submissions: every delivery of a case's return to Digipoort, with its kenmerk and last status.

The row is written and committed with our own reference (aanleverkenmerk) BEFORE Digipoort is
called, and the kenmerk stored after: a row in state `sending` is a delivery whose outcome we do
not know (a crash between the two commits), listed for a person and never re-sent automatically.
Every status Digipoort reports goes to the audit trail (audit_event); this row keeps the last one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.models.base import Base, Timestamps, enum_column


class DeliveryState(StrEnum):
    """Where one delivery stands."""

    SENDING = "sending"  # reference committed; Digipoort called (or about to be); no kenmerk yet
    DELIVERED = "delivered"  # kenmerk stored; statuses are followed
    ACCEPTED = "accepted"  # status 500
    FAILED = "failed"  # delivery fault, final error status, or 420 beyond 72 hours
    REFUSED = "refused"  # not sent: the bytes differ from the approved ones (reason in error_text)


class Submission(Timestamps, Base):
    """One delivery of one case's document to Digipoort (a resubmission is a new row, attempt + 1)."""

    __tablename__ = "submission"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "attempt"),
        sa.UniqueConstraint("reference"),
        sa.UniqueConstraint("kenmerk"),
        # follow-submissions reads the open deliveries; a partial index stays small as history grows.
        sa.Index("ix_submission_open", "id", sqlite_where=sa.text("state = 'delivered'"),
                 postgresql_where=sa.text("state = 'delivered'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="RESTRICT"), index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    reference: Mapped[str] = mapped_column(sa.String(64))  # our aanleverkenmerk
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_return_document.id", ondelete="RESTRICT"))
    document_sha256: Mapped[str] = mapped_column(sa.String(64))
    # The team member holding the template's sbr.on_behalf_of role for the client when it was sent.
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    berichtsoort: Mapped[str] = mapped_column(sa.String(64))
    fiscal_id: Mapped[str] = mapped_column(sa.String(12))
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState, "delivery_state"), index=True)
    kenmerk: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_status_code: Mapped[str | None] = mapped_column(sa.String(16))
    last_status_text: Mapped[str | None] = mapped_column(sa.String(300))
    last_status_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_checked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    retrying_since: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))  # first 420
    error_code: Mapped[str | None] = mapped_column(sa.String(16))
    error_text: Mapped[str | None] = mapped_column(sa.Text)
