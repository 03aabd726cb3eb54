"""Team pages: team members' accounts (password hash, admin, lock-out), sessions and API tokens.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("failed_attempts >= 0", name=op.f("ck_team_account_failed_attempts_not_negative")),
        sa.ForeignKeyConstraint(["team_member_id"], ["team_member.id"],
                                name=op.f("fk_team_account_team_member_id_team_member"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_account")),
        sa.UniqueConstraint("team_member_id", name=op.f("uq_team_account_team_member_id")),
    )
    op.create_table(
        "team_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_member_id"], ["team_member.id"],
                                name=op.f("fk_team_session_team_member_id_team_member"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_team_session_token_sha256")),
    )
    op.create_index(op.f("ix_team_session_team_member_id"), "team_session", ["team_member_id"])
    op.create_table(
        "team_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_member_id"], ["team_member.id"],
                                name=op.f("fk_team_api_token_team_member_id_team_member"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_api_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_team_api_token_token_sha256")),
    )
    op.create_index(op.f("ix_team_api_token_team_member_id"), "team_api_token", ["team_member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_team_api_token_team_member_id"), table_name="team_api_token")
    op.drop_table("team_api_token")
    op.drop_index(op.f("ix_team_session_team_member_id"), table_name="team_session")
    op.drop_table("team_session")
    op.drop_table("team_account")
