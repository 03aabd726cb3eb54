"""Settings: one validated object, read from SBRFLOW_* environment variables, lazily."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sbrflow.domain.errors import SbrflowError

ENV_PREFIX = "SBRFLOW_"
DEFAULT_DATABASE_URL = "sqlite:///./var/sbrflow.db"


class ConfigurationError(SbrflowError):
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
    ubo_threshold: Decimal = Field(
        Decimal("25"), ge=0, le=100,
        description="Wwft: a contact holding more than this share (percent) is a UBO and must be identified.",
    )
    # Planning (issue 5).
    planning_horizon_months: int = Field(
        12, ge=1, le=120, description="plan-periods covers the periods that ended in this many months before run_date."
    )
    workflows_dir: Path | None = Field(
        None, description="Folder of the office's workflow templates (*.yaml); default: the package's config/workflows."
    )
    # Returns intake (issue 6): every HTTP call to a source package has both timeouts.
    source_connect_timeout: float = Field(5.0, gt=0, description="Seconds to connect to a source package.")
    source_read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for a source package's answer.")
    source_page_size: int = Field(100, ge=1, le=1000, description="Returns asked per page when polling.")
    source_http_retries: int = Field(
        4, ge=0, le=10, description="Quick retries of one GET on a 429/5xx/timeout before the poll task fails."
    )
    source_http_backoff: float = Field(0.2, ge=0, description="Backoff factor (s) of those quick retries.")
    source_fetch_concurrency: int = Field(4, ge=1, le=16, description="Documents fetched at once from one source.")
    poll_retries: int = Field(3, ge=0, le=10, description="Prefect retries of a source's poll task (transient errors).")
    poll_retry_delay: float = Field(10.0, ge=0, description="First delay (s) before a poll retry; doubles each time.")
    source_call_deadline: float = Field(
        120.0, gt=0, description="Seconds one HTTP call to a source package may take in all, body included."
    )
    source_listing_max_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest listing page (JSON) accepted from a source package."
    )
    source_retry_after_max: float = Field(
        30.0, ge=0, description="A source's Retry-After is obeyed up to this many seconds."
    )
    document_max_bytes: int = Field(32 * 1024 * 1024, ge=1024, description="Largest return document accepted.")
    document_inline_max_bytes: int = Field(
        1024 * 1024, ge=0, description="Documents up to this size are kept in the database, larger under var/documents."
    )

    # Hardening (issue 18): named locks in our database keep two runs of one job apart.
    lock_wait: float = Field(
        60.0, ge=0, description="Seconds a poll, import, plan or match waits for the run holding its lock, then gives up."
    )
    lock_ttl: float = Field(
        120.0, ge=5, description="SQLite: a lock whose heartbeat stopped this many seconds ago is taken over."
    )

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
