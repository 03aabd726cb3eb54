"""Team members' sign-in: accounts (password hash, admin flag, lock-out), sessions, API tokens.

Only hashes are stored: the password as argon2, session and API tokens as SHA-256 of the random
token. Kept apart from models/crm.py's `team_member` so the CRM import never touches credentials.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.models.base import Base, Timestamps


class TeamAccount(Timestamps, Base):
    """A team member's sign-in: password hash, admin flag, failed attempts and lock-out."""

    __tablename__ = "team_account"
    __table_args__ = (
        sa.UniqueConstraint("team_member_id"),
        sa.CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_member_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="CASCADE"))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))  # argon2id, PHC string
    password_set_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    failed_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class TeamSession(Base):
    """A signed-in browser: the SHA-256 of the cookie's random token; ended on sign-out."""

    __tablename__ = "team_session"
    __table_args__ = (sa.UniqueConstraint("token_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64))
    team_member_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ApiToken(Base):
    """A member's API token for scripts (`Authorization: Bearer …`): only its SHA-256 is kept."""

    __tablename__ = "team_api_token"
    __table_args__ = (sa.UniqueConstraint("token_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64))
    team_member_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
