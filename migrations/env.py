"""Alembic environment: the URL comes from the caller or SBRFLOW_DATABASE_URL; batch mode on SQLite."""

from __future__ import annotations

from alembic import context

from sbrflow.models import Base
from sbrflow.models.db import create_engine_for, get_engine

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # Search structures made in raw SQL by 0013 (SQLite FTS5 tables, PostgreSQL trigram expression indexes).
    return not (reflected and compare_to is None and (name or "").startswith(("crm_search_fts", "ix_crm_search_")))


def _engine():
    # `sbrflow db upgrade` and the tests hand over a connection; the alembic CLI a URL or nothing.
    url = config.get_main_option("sqlalchemy.url")
    return create_engine_for(url) if url else get_engine()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (alembic upgrade --sql)."""
    url = config.get_main_option("sqlalchemy.url") or str(get_engine().url)
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with _engine().connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
