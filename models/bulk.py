"""Bulk writes for set-based tasks: Core executemany per column set, COPY on PostgreSQL for big batches."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

COPY_FROM = 500  # rows: below this an INSERT is as quick as a COPY


def grouped(rows: list[dict]) -> Iterator[tuple[tuple[str, ...], list[dict]]]:
    """Rows grouped by their set of keys (one executemany per group)."""
    # Core statements, since the ORM's bulk insert splits its batches wherever a value is None
    # (to let server defaults apply) — thousands of round trips.
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    yield from groups.items()


def bulk_insert(session: Session, model: type, rows: list[dict]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL, executemany elsewhere."""
    connection = session.connection()
    for keys, group in grouped(rows):
        if connection.dialect.name == "postgresql" and len(group) >= COPY_FROM:
            _copy(connection, model.__table__, keys, group)
        else:
            session.execute(model.__table__.insert(), group)


def _csv_cell(value: object) -> str:
    # COPY … (FORMAT csv): an unquoted empty field is NULL, a quoted one is text (an empty string too).
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, (dict, list)):  # JSON columns (e.g. audit_event.details)
        value = json.dumps(value)
    elif isinstance(value, date):
        value = value.isoformat()
    elif isinstance(value, (dict, list)):  # a JSON column
        value = json.dumps(value, default=str)
    return '"' + str(value).replace('"', '""') + '"'


def _copy(connection: sa.Connection, table: sa.Table, keys: tuple[str, ...], rows: list[dict]) -> None:
    """PostgreSQL COPY in the session's transaction: several times faster than INSERTs for 100,000 rows.

    Columns not given take their server defaults (timestamps, false flags), as with an INSERT.
    """
    buffer = io.StringIO()
    for row in rows:
        buffer.write(",".join(_csv_cell(row[key]) for key in keys))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(table.c[key].name for key in keys)
    with connection.connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
