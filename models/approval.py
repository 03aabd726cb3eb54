"""Approval requests: the exact return put to a client, and the client's decision on it (the evidence)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sbrflow.domain.approval import Decision, Presentation, RequestState, VoidReason
from sbrflow.models.base import Base, Timestamps, enum_column
from sbrflow.models.cases import Case


class ApprovalRequest(Timestamps, Base):
    """One link put to a client for one case and one exact document.

    Only the SHA-256 of the link's token is stored (unique: the token is the request's identity).
    At most one request per case is open; a new one voids the earlier. The decision columns are the
    evidence: what was decided, when, by which contact, on which document hash.
    """

    __tablename__ = "approval_request"
    __table_args__ = (
        sa.UniqueConstraint("token_sha256"),
        # At most one open request per case (partial unique index, SQLite and PostgreSQL).
        sa.Index("uq_approval_request_open", "case_id", unique=True,
                 sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'")),
        sa.Index("ix_approval_request_state", "state", "expires_at"),
        sa.CheckConstraint(
            "state <> 'decided' OR (decision IS NOT NULL AND decided_at IS NOT NULL)", name="decided_has_decision"
        ),
        sa.CheckConstraint("decision <> 'rejected' OR reason IS NOT NULL", name="rejection_has_reason"),
        sa.CheckConstraint("decision <> 'signed' OR signed_name IS NOT NULL", name="signature_has_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64))
    # The document the client is asked about, and its hash at the time (the binding).
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("tax_return_document.id", ondelete="RESTRICT"))
    document_sha256: Mapped[str] = mapped_column(sa.String(64))
    presentation: Mapped[Presentation] = mapped_column(enum_column(Presentation, "approval_presentation"))
    # The contact it went to (the template's recipient function, or the primary contact), as then.
    recipient_person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    recipient_email: Mapped[str] = mapped_column(sa.String(254))
    message: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState, "approval_state"))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # The decision (evidence): what, when, on which document hash, with reason or typed name.
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, "approval_decision"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    signed_name: Mapped[str | None] = mapped_column(sa.String(200))
    consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    decided_via: Mapped[str | None] = mapped_column(sa.String(16))  # web, cli, demo, system
    voided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    void_reason: Mapped[VoidReason | None] = mapped_column(enum_column(VoidReason, "approval_void_reason"))

    case: Mapped[Case] = relationship()

    def __repr__(self) -> str:
        return f"ApprovalRequest({self.id}, case={self.case_id}, {self.presentation}, {self.state}, {self.decision})"
