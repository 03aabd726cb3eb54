"""Returns intake: source packages, cursors and received SBR documents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.Enum("http", "folder", name="source_kind", native_enum=False,
                                  create_constraint=True, length=32), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("folder", sa.String(length=500), nullable=True),
        sa.Column("token_env", sa.String(length=200), nullable=True),
        sa.Column("taxes", sa.String(length=16), server_default="OB,LH", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("cursor", sa.String(length=500), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_package")),
        sa.UniqueConstraint("name", name=op.f("uq_source_package_name")),
    )
    op.create_table(
        "tax_return_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_package_id", sa.Integer(), nullable=False),
        sa.Column("source_reference", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("content_path", sa.String(length=500), nullable=True),
        sa.Column("status", sa.Enum("received", "rejected", name="document_status", native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("tax", sa.Enum("OB", "LH", name="return_tax", native_enum=False, create_constraint=True,
                                 length=2), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("fiscal_id", sa.String(length=12), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("amount_due", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("amount_total", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("schema", sa.String(length=255), nullable=True),
        sa.Column("software", sa.String(length=120), nullable=True),
        sa.Column("message_ref", sa.String(length=120), nullable=True),
        sa.Column("document_created_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["source_package_id"], ["source_package.id"],
                                name=op.f("fk_tax_return_document_source_package_id_source_package"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_return_document")),
        sa.UniqueConstraint("sha256", name=op.f("uq_tax_return_document_sha256")),
        sa.UniqueConstraint("source_package_id", "source_reference",
                            name=op.f("uq_tax_return_document_source_package_id_source_reference")),
    )
    with op.batch_alter_table("tax_return_document", schema=None) as batch_op:
        batch_op.create_index("ix_tax_return_document_period", ["fiscal_id", "period_start"], unique=False)
        batch_op.create_index(batch_op.f("ix_tax_return_document_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tax_return_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_return_document_status"))
        batch_op.drop_index("ix_tax_return_document_period")
    op.drop_table("tax_return_document")
    op.drop_table("source_package")
