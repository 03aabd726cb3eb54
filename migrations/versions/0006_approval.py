"""Client approval: approval requests (token hash, document hash, decision evidence).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "approval_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("presentation", _enum("approval_presentation", "approval", "signing", "information"),
                  nullable=False),
        sa.Column("recipient_person_id", sa.Integer(), nullable=True),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", _enum("approval_state", "open", "decided", "void"), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", _enum("approval_decision", "approved", "rejected", "signed", "informed"),
                  nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_sha256", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("signed_name", sa.String(length=200), nullable=True),
        sa.Column("consent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("decided_via", sa.String(length=16), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", _enum("approval_void_reason", "replaced", "document_replaced", "case_moved"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("state <> 'decided' OR (decision IS NOT NULL AND decided_at IS NOT NULL)",
                           name=op.f("ck_approval_request_decided_has_decision")),
        sa.CheckConstraint("decision <> 'rejected' OR reason IS NOT NULL",
                           name=op.f("ck_approval_request_rejection_has_reason")),
        sa.CheckConstraint("decision <> 'signed' OR signed_name IS NOT NULL",
                           name=op.f("ck_approval_request_signature_has_name")),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_approval_request_case_id_tax_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["tax_return_document.id"],
                                name=op.f("fk_approval_request_document_id_tax_return_document"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["recipient_person_id"], ["person.id"],
                                name=op.f("fk_approval_request_recipient_person_id_person"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_request")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_approval_request_token_sha256")),
    )
    with op.batch_alter_table("approval_request") as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_request_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_approval_request_state", ["state", "expires_at"], unique=False)
        batch_op.create_index("uq_approval_request_open", ["case_id"], unique=True,
                              sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))


def downgrade() -> None:
    with op.batch_alter_table("approval_request") as batch_op:
        batch_op.drop_index("uq_approval_request_open", sqlite_where=sa.text("state = 'open'"),
                            postgresql_where=sa.text("state = 'open'"))
        batch_op.drop_index("ix_approval_request_state")
        batch_op.drop_index(batch_op.f("ix_approval_request_case_id"))
    op.drop_table("approval_request")
