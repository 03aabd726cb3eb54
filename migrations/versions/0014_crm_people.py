"""Working with the CRM's people: notes with their versions, follow-ups (signaleringen), person look-up indexes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OWNER = ("(CASE WHEN client_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) = 1")


def _priority(name: str) -> sa.Enum:
    return sa.Enum("low", "normal", "high", name=name, native_enum=False, create_constraint=True, length=32)


def _member_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["team_member.id"], name=op.f(f"fk_{table}_{column}_team_member"),
                                   ondelete="RESTRICT")


def _owner_columns(table: str) -> list:
    return [
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name=op.f(f"fk_{table}_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f(f"fk_{table}_person_id_person"),
                                ondelete="CASCADE"),
        sa.CheckConstraint(ONE_OWNER, name=op.f(f"ck_{table}_one_owner")),
    ]


def upgrade() -> None:
    op.create_table(
        "crm_note",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owner_columns("crm_note"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", _priority("note_priority"), nullable=False),
        sa.Column("show_in_cases", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _member_fk("crm_note", "author_id"),
        _member_fk("crm_note", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_note")),
    )
    op.create_index(op.f("ix_crm_note_client_id"), "crm_note", ["client_id"])
    op.create_index(op.f("ix_crm_note_person_id"), "crm_note", ["person_id"])
    op.create_table(
        "crm_note_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", _priority("note_version_priority"), nullable=False),
        sa.Column("show_in_cases", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["crm_note.id"], name=op.f("fk_crm_note_version_note_id_crm_note"),
                                ondelete="CASCADE"),
        _member_fk("crm_note_version", "saved_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_note_version")),
        sa.UniqueConstraint("note_id", "version", name=op.f("uq_crm_note_version_note_id_version")),
    )
    op.create_table(
        "crm_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owner_columns("crm_follow_up"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_time", sa.Time(), nullable=True),
        sa.Column("assigned_to_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        _member_fk("crm_follow_up", "assigned_to_id"),
        _member_fk("crm_follow_up", "created_by_id"),
        _member_fk("crm_follow_up", "done_by_id"),
        sa.CheckConstraint("(done_at IS NULL) = (done_by_id IS NULL)", name=op.f("ck_crm_follow_up_done_has_who")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_follow_up")),
    )
    op.create_index(op.f("ix_crm_follow_up_client_id"), "crm_follow_up", ["client_id"])
    op.create_index(op.f("ix_crm_follow_up_person_id"), "crm_follow_up", ["person_id"])
    op.create_index("ix_crm_follow_up_open", "crm_follow_up", ["assigned_to_id", "done_at", "due_on"])
    # The duplicate warnings of `crm add-person` (same BSN; same name and date of birth). Plain indexes on
    # the parent table: no rebuild.
    op.create_index(op.f("ix_person_bsn"), "person", ["bsn"])
    op.create_index(op.f("ix_person_date_of_birth"), "person", ["date_of_birth"])


def downgrade() -> None:
    op.drop_index(op.f("ix_person_date_of_birth"), table_name="person")
    op.drop_index(op.f("ix_person_bsn"), table_name="person")
    op.drop_index("ix_crm_follow_up_open", table_name="crm_follow_up")
    op.drop_index(op.f("ix_crm_follow_up_person_id"), table_name="crm_follow_up")
    op.drop_index(op.f("ix_crm_follow_up_client_id"), table_name="crm_follow_up")
    op.drop_table("crm_follow_up")
    op.drop_table("crm_note_version")
    op.drop_index(op.f("ix_crm_note_person_id"), table_name="crm_note")
    op.drop_index(op.f("ix_crm_note_client_id"), table_name="crm_note")
    op.drop_table("crm_note")
