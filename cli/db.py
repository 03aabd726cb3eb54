"""`sbrflow db …`: the schema, managed by Alembic."""

from __future__ import annotations

import typer

db_app = typer.Typer(help="The application database: migrations.", no_args_is_help=True)


def upgrade_database(revision: str = "head") -> str | None:
    """Apply the migrations to SBRFLOW_DATABASE_URL and return the revision it is now at."""
    from sbrflow.models import migrate
    from sbrflow.models.db import get_engine

    engine = get_engine()
    migrate.upgrade(engine, revision)
    return migrate.current(engine)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision (default: the newest).")) -> None:
    """Apply the migrations (creates the SQLite file and its folder on first use)."""
    from sbrflow.models.db import get_engine

    now = upgrade_database(revision)
    typer.echo(f"database at revision {now} ({get_engine().url.render_as_string(hide_password=True)})")


@db_app.command("current")
def current() -> None:
    """Print the revision the database is at."""
    from sbrflow.models import migrate
    from sbrflow.models.db import get_engine

    typer.echo(migrate.current(get_engine()) or "empty (run: sbrflow db upgrade)")


@db_app.command("check")
def check() -> None:
    """Fail if the models and the migrations have drifted apart."""
    from sbrflow.models import migrate
    from sbrflow.models.db import get_engine

    migrate.check(get_engine())
    typer.echo("models and migrations agree")
