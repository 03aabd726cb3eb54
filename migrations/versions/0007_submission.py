"""Submission: deliveries to Digipoort, and the case state `submitting`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_STATES = ("planned", "blocked", "waiting_for_return", "return_received", "in_progress", "with_client",
               "approved", "submitted", "submission_failed", "closed", "cancelled")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _in(values: Sequence[str]) -> str:
    return "state IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _case_states(old: Sequence[str], new: Sequence[str]) -> None:
    """Replace the CHECK constraint of tax_case.state.

    On SQLite the table is NOT recreated (batch mode would): with foreign keys on, dropping the old
    tax_case would cascade-delete every stage, document link and audit row of every case. Widening a
    CHECK in place is what SQLite's documentation allows through `writable_schema` (same as 0009).
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_tax_case_case_state"), "tax_case", type_="check")
        op.create_check_constraint(op.f("ck_tax_case_case_state"), "tax_case", _in(new))
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                         "WHERE type = 'table' AND name = 'tax_case'"), {"old": _in(old), "new": _in(new)})
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    _case_states(CASE_STATES, (*CASE_STATES, "submitting"))
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("berichtsoort", sa.String(length=64), nullable=False),
        sa.Column("fiscal_id", sa.String(length=12), nullable=False),
        sa.Column("state", _enum("delivery_state", "sending", "delivered", "accepted", "failed", "refused"),
                  nullable=False),
        sa.Column("kenmerk", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.String(length=16), nullable=True),
        sa.Column("last_status_text", sa.String(length=300), nullable=True),
        sa.Column("last_status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retrying_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("error_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["tax_case.id"], name=op.f("fk_submission_case_id_tax_case"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["document_id"], ["tax_return_document.id"],
                                name=op.f("fk_submission_document_id_tax_return_document"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["on_behalf_of_id"], ["team_member.id"],
                                name=op.f("fk_submission_on_behalf_of_id_team_member"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("case_id", "attempt", name=op.f("uq_submission_case_id_attempt")),
        sa.UniqueConstraint("reference", name=op.f("uq_submission_reference")),
        sa.UniqueConstraint("kenmerk", name=op.f("uq_submission_kenmerk")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_state"), ["state"], unique=False)
        batch_op.create_index("ix_submission_open", ["id"], unique=False,
                              sqlite_where=sa.text("state = 'delivered'"),
                              postgresql_where=sa.text("state = 'delivered'"))


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_open", sqlite_where=sa.text("state = 'delivered'"),
                            postgresql_where=sa.text("state = 'delivered'"))
        batch_op.drop_index(batch_op.f("ix_submission_state"))
        batch_op.drop_index(batch_op.f("ix_submission_case_id"))
    op.drop_table("submission")
    op.execute("UPDATE tax_case SET state = 'approved' WHERE state = 'submitting'")
    _case_states((*CASE_STATES, "submitting"), CASE_STATES)
