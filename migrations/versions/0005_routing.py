"""Routing: template versions as used, who ticked which checkpoint, the audit trail extended to case moves and made append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL refuses any UPDATE or DELETE of an audit event, whoever issues it.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "workflow_template_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_template_version")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_workflow_template_version_code_version")),
    )
    op.create_table(
        "tax_case_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage_code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ticked_by_id", sa.Integer(), nullable=True),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_tax_case_checkpoint_case_id_tax_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticked_by_id"], ["team_member.id"],
                                name=op.f("fk_tax_case_checkpoint_ticked_by_id_team_member"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_case_checkpoint")),
        sa.UniqueConstraint("case_id", "stage_code", "position",
                            name=op.f("uq_tax_case_checkpoint_case_id_stage_code_position")),
    )
    with op.batch_alter_table("tax_case_stage") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("from_state", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("to_state", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_audit_event_case_id_tax_case"), "tax_case", ["case_id"], ["id"],
                                    ondelete="RESTRICT")
        batch_op.create_index("ix_audit_event_case", ["case_id", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_index("ix_audit_event_case")
        batch_op.drop_constraint(batch_op.f("fk_audit_event_case_id_tax_case"), type_="foreignkey")
        batch_op.drop_column("to_state")
        batch_op.drop_column("from_state")
        batch_op.drop_column("case_id")
    with op.batch_alter_table("tax_case_stage") as batch_op:
        batch_op.drop_column("name")
    op.drop_table("tax_case_checkpoint")
    op.drop_table("workflow_template_version")
