"""Matching: each return's outcome, the documents of a case (current + history), the audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "return_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("match_status", "matched", "unmatched"), nullable=False),
        sa.Column("reason_code", _enum("match_reason", "unknown_identifier", "ambiguous", "client_not_active",
                                       "no_subscription", "period_mismatch", "no_case", "case_closed"),
                  nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("method", _enum("match_method", "automatic", "manual"), nullable=True),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["tax_return_document.id"],
                                name=op.f("fk_return_match_document_id_tax_return_document"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_return_match_client_id_client"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_return_match_case_id_tax_case"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_match")),
        sa.UniqueConstraint("document_id", name=op.f("uq_return_match_document_id")),
    )
    with op.batch_alter_table("return_match") as batch_op:
        batch_op.create_index(batch_op.f("ix_return_match_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_match_reason_code"), ["reason_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_match_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_match_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_case_document_case_id_tax_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["tax_return_document.id"],
                                name=op.f("fk_case_document_document_id_tax_return_document"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_document")),
        sa.UniqueConstraint("document_id", name=op.f("uq_case_document_document_id")),
    )
    with op.batch_alter_table("case_document") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_document_case_id"), ["case_id"], unique=False)
        batch_op.create_index("uq_case_document_current", ["case_id"], unique=True,
                              sqlite_where=sa.text("is_current"), postgresql_where=sa.text("is_current"))

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.create_index("ix_audit_event_subject", ["subject_type", "subject_id"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_event")
    with op.batch_alter_table("case_document") as batch_op:
        batch_op.drop_index("uq_case_document_current", sqlite_where=sa.text("is_current"),
                            postgresql_where=sa.text("is_current"))
        batch_op.drop_index(batch_op.f("ix_case_document_case_id"))
    op.drop_table("case_document")
    op.drop_table("return_match")
