"""Messages: the outbox of mail to clients and team members.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("reason", _enum("message_reason", "approval_request", "client_reminder", "stage_digest",
                                  "escalation", "stage_assigned", "submission_failed", "client_information"),
                  nullable=False),
        sa.Column("state", _enum("message_state", "queued", "sent", "failed", "cancelled"), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("approval_request_id", sa.Integer(), nullable=True),
        sa.Column("recipient_kind", _enum("message_recipient_kind", "contact", "team_member"), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("team_member_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attention_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_message_attempts_not_negative")),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_message_case_id_tax_case"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["approval_request_id"], ["approval_request.id"],
                                name=op.f("fk_message_approval_request_id_approval_request"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_message_person_id_person"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_member_id"], ["team_member.id"],
                                name=op.f("fk_message_team_member_id_team_member"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["attention_member_id"], ["team_member.id"],
                                name=op.f("fk_message_attention_member_id_team_member"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_message_dedup_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_message_message_id")),
    )
    with op.batch_alter_table("message") as batch_op:
        batch_op.create_index("ix_message_sendable", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_approval_request_id"), ["approval_request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_team_member_id"), ["team_member_id"], unique=False)


def downgrade() -> None:
    op.drop_table("message")
