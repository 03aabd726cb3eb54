"""What the database can store, read from the models: text lengths and the characters text may hold.

Checked at the edge (the CRM import, `sources add`), the same on SQLite and PostgreSQL: PostgreSQL would
refuse an over-long value with a traceback and SQLite would keep it silently; NUL cannot be stored in
PostgreSQL text at all, and other control characters break the .xlsx export.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def text_lengths(*models: type) -> dict[str, int]:
    """Column name → maximum length, for every length-limited text column of the models (first one wins)."""
    lengths: dict[str, int] = {}
    for model in models:
        for column in model.__table__.columns:
            if isinstance(column.type, sa.String) and column.type.length and column.name not in lengths:
                lengths[column.name] = column.type.length
    return lengths


def column_length(column) -> int | None:
    """The maximum length of one model attribute (e.g. TeamMember.code), or None when unlimited."""
    length = getattr(getattr(column, "type", None), "length", None)
    return length if isinstance(length, int) else None


def control_characters(text: str) -> list[str]:
    """The control characters in `text` that may not be stored (all but tab, line feed, carriage return)."""
    return sorted({c for c in text if c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc"})


def describe_characters(found: list[str]) -> str:
    """'U+0000 (NUL), U+000B' — for messages."""
    names = {"\x00": "NUL"}
    return ", ".join(f"U+{ord(c):04X}" + (f" ({names[c]})" if c in names else "") for c in found)


def too_long_or_unstorable(text: str, length: int | None) -> str | None:
    """Why `text` cannot be stored in a column of that length, or None when it can."""
    found = control_characters(text)
    if found:
        return f"contains a control character that cannot be stored ({describe_characters(found)})"
    if length is not None and len(text) > length:
        return f"is {len(text)} characters long; at most {length} fit"
    return None
