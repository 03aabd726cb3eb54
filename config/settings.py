"""Settings: one validated object, read from SBRFLOW_* environment variables, lazily."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "SBRFLOW_"
DEFAULT_DATABASE_URL = "sqlite:///./var/sbrflow.db"


class ConfigurationError(Exception):
    """A setting has a value sbrflow cannot use; the message names the variable."""


class Settings(BaseSettings):
    """Everything sbrflow can be told from outside, with its defaults."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the application database (SQLite file or postgresql+psycopg2://…).",
    )
    var_dir: Path = Field(Path("./var"), description="Folder for the SQLite file, documents and reports.")
    database_echo: bool = Field(False, description="Log every SQL statement (development only).")

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError(f"backend {url.get_backend_name()!r} is not supported; use sqlite or postgresql")
        return value


def _one_line(exc: ValidationError) -> str:
    """Name the environment variable and say what is wrong, on one line."""
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        value = err.get("input")
        parts.append(f"{ENV_PREFIX}{field.upper()}={value!r}: {err['msg']}")
    return "invalid setting " + "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once on first use."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(_one_line(exc)) from None
