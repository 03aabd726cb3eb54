"""Working with the CRM's people: notes (with their versions) and follow-ups (signaleringen).

Each note or follow-up belongs to exactly one client or one person; deleting that client or person
deletes them too (a note on a person may hold personal data: it goes with the person, AVG).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sbrflow.models.base import Base, enum_column

ONE_OWNER = ("(CASE WHEN client_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) = 1")


class NotePriority(StrEnum):
    """How much a note matters; high notes are marked on the pages."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class CrmNote(Base):
    """A note on a client or a person: title, text, priority, pinned, shown on the client's cases or not.

    The current text is here; every version (the first included) is a row of crm_note_version.
    """

    __tablename__ = "crm_note"
    __table_args__ = (sa.CheckConstraint(ONE_OWNER, name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    priority: Mapped[NotePriority] = mapped_column(enum_column(NotePriority, "note_priority"))
    show_in_cases: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    pinned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Members are deactivated, never deleted while they hold work (role_assignment does the same).
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class CrmNoteVersion(Base):
    """One version of a note as it was saved: who, when, and every field."""

    __tablename__ = "crm_note_version"
    __table_args__ = (sa.UniqueConstraint("note_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(sa.ForeignKey("crm_note.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    priority: Mapped[NotePriority] = mapped_column(enum_column(NotePriority, "note_version_priority"))
    show_in_cases: Mapped[bool]
    pinned: Mapped[bool]
    saved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    saved_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class FollowUp(Base):
    """A follow-up (signalering): a reminder on a client or person for a team member, due on a date.

    Open until done: it shows in the member's work list from its date on.
    """

    __tablename__ = "crm_follow_up"
    __table_args__ = (
        sa.CheckConstraint(ONE_OWNER, name="one_owner"),
        sa.CheckConstraint("(done_at IS NULL) = (done_by_id IS NULL)", name="done_has_who"),
        # The work list's read: a member's open follow-ups due by a date.
        sa.Index("ix_crm_follow_up_open", "assigned_to_id", "done_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    due_on: Mapped[date]
    due_time: Mapped[time | None]
    assigned_to_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team_member.id", ondelete="RESTRICT"))
