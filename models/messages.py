"""The outbox: every message to a client contact or a team member, one row, sent by send-messages."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.domain.messages import MessageReason, MessageState, RecipientKind
from sbrflow.models.base import Base, Timestamps, enum_column


class Message(Timestamps, Base):
    """One message: who it goes to, its texts, why it was made, and where it stands.

    `dedup_key` is the business identity (reason + what it is about + for reminders the number or date):
    making the same message twice is a no-op. `message_id` is the RFC 5322 Message-ID, fixed when the
    message is queued, so a message that had to be sent again carries the same one.
    """

    __tablename__ = "message"
    __table_args__ = (
        sa.UniqueConstraint("dedup_key"),
        sa.UniqueConstraint("message_id"),
        # The sender's claim query: queued messages whose next attempt is due.
        sa.Index("ix_message_sendable", "state", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(sa.String(200))
    message_id: Mapped[str] = mapped_column(sa.String(255))
    reason: Mapped[MessageReason] = mapped_column(enum_column(MessageReason, "message_reason"))
    state: Mapped[MessageState] = mapped_column(
        enum_column(MessageState, "message_state"), default=MessageState.QUEUED
    )
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tax_case.id", ondelete="SET NULL"), index=True)
    # The approval request a client message belongs to: cancelled when the request is no longer open.
    approval_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("approval_request.id", ondelete="SET NULL"), index=True
    )
    recipient_kind: Mapped[RecipientKind] = mapped_column(enum_column(RecipientKind, "message_recipient_kind"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="SET NULL"))
    team_member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("team_member.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(sa.String(254))  # the e-mail address
    subject: Mapped[str] = mapped_column(sa.String(300))  # never personal data (checked when texts load)
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    due_on: Mapped[date | None]  # the run date of the reminder run that made it
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # A sender's claim: the run that took the message and until when; an expired claim (a crashed
    # run) makes the message sendable again.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)  # the SMTP server's answer, or the connection error
    # Failed and cancelled messages land in the work list of the case's relatiebeheerder.
    attention_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team_member.id", ondelete="SET NULL"))

    def __repr__(self) -> str:  # no address, no texts: they may hold personal data
        return f"Message({self.id}, {self.reason}, {self.state})"
