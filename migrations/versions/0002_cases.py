"""Cases: one per client × product × tax period (planning), and their stages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "tax_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("product", _enum("case_product", "vat_return", "payroll_return", "income_tax",
                                   "corporate_tax", "annual_accounts"), nullable=False),
        sa.Column("period_label", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("frequency", _enum("case_frequency", "month", "quarter", "half_year", "year", "four_weekly"),
                  nullable=False),
        sa.Column("quarter_start_month", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("state", _enum("case_state", "planned", "blocked", "waiting_for_return", "return_received",
                                 "in_progress", "with_client", "approved", "submitted", "submission_failed",
                                 "closed", "cancelled"), nullable=False),
        sa.Column("current_stage", sa.String(length=64), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_effective", sa.Date(), nullable=True),
        sa.Column("blocked_reasons", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_tax_case_period_ordered")),
        sa.CheckConstraint("quarter_start_month IN (1, 2, 3)", name=op.f("ck_tax_case_quarter_start_month_valid")),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f("fk_tax_case_client_id_client"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_case")),
        sa.UniqueConstraint("client_id", "product", "period_label",
                            name=op.f("uq_tax_case_client_id_product_period_label")),
    )
    with op.batch_alter_table("tax_case", schema=None) as batch_op:
        batch_op.create_index("ix_tax_case_matching", ["product", "period_start", "period_end", "client_id"])
        batch_op.create_index("ix_tax_case_product_period", ["product", "period_label", "state"])
        batch_op.create_index("ix_tax_case_blocked", ["client_id", "product"],
                              sqlite_where=sa.text("state = 'blocked'"), postgresql_where=sa.text("state = 'blocked'"))

    op.create_table(
        "tax_case_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stage_code", sa.String(length=64), nullable=False),
        sa.Column("role", _enum("case_stage_role", "relatiebeheerder", "accountant", "fiscaal", "administratie",
                                "salaris", "secretariaat"), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=True),
        sa.Column("state", _enum("stage_state", "pending", "active", "done", "skipped"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_tax_case_stage_case_id_tax_case"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["completed_by_id"], ["team_member.id"],
                                name=op.f("fk_tax_case_stage_completed_by_id_team_member"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["team_member_id"], ["team_member.id"],
                                name=op.f("fk_tax_case_stage_team_member_id_team_member"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_case_stage")),
        sa.UniqueConstraint("case_id", "position", name=op.f("uq_tax_case_stage_case_id_position")),
        sa.UniqueConstraint("case_id", "stage_code", name=op.f("uq_tax_case_stage_case_id_stage_code")),
    )
    with op.batch_alter_table("tax_case_stage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tax_case_stage_team_member_id"), ["team_member_id"])


def downgrade() -> None:
    with op.batch_alter_table("tax_case_stage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_case_stage_team_member_id"))
    op.drop_table("tax_case_stage")
    with op.batch_alter_table("tax_case", schema=None) as batch_op:
        batch_op.drop_index("ix_tax_case_blocked")
        batch_op.drop_index("ix_tax_case_product_period")
        batch_op.drop_index("ix_tax_case_matching")
    op.drop_table("tax_case")
