"""Declarative base: constraint naming convention, portable enums, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints make migrations reproducible on every backend (SQLite batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

E = TypeVar("E", bound=Enum)


class Base(DeclarativeBase):
    """Base class of every sbrflow table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def enum_column(enum: type[E], name: str, length: int = 32) -> sa.Enum:
    """A portable enum: VARCHAR holding the value plus a named CHECK constraint."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _utcnow() -> datetime:
    # Set in Python: SQLite's now() cannot be used in the batched UPDATEs of a flush.
    return datetime.now(UTC)


class Timestamps:
    """created_at / updated_at, set by the database."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=_utcnow, nullable=False
    )
