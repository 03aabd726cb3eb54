"""Settings: one validated object, read from SBRFLOW_* environment variables, lazily."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sbrflow.domain.errors import ConfigurationError  # re-exported: config.settings.ConfigurationError

ENV_PREFIX = "SBRFLOW_"
DEFAULT_DATABASE_URL = "sqlite:///./var/sbrflow.db"


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
    # Messages (issue 13): the outbox is sent over SMTP by send-messages.
    smtp_host: str = Field("localhost", description="SMTP server that sends the office's mail.")
    smtp_port: int = Field(
        0, ge=0, le=65535,
        description="SMTP port; 0 = 465 with SMTP_SSL, 587 with STARTTLS, else 25.",
    )
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS (port 587).")
    smtp_ssl: bool = Field(False, description="Connect with implicit TLS (SMTPS, port 465).")
    smtp_user: str | None = Field(None, description="SMTP AUTH user name (no AUTH when empty).")
    smtp_password: SecretStr | None = Field(
        None, description="SMTP AUTH password, or prefect-secret:BLOCK to read it from a Prefect Secret block."
    )
    smtp_timeout: float = Field(30.0, gt=0, description="Seconds for connecting to and each answer of the SMTP server.")
    smtp_ca_file: Path | None = Field(None, description="Trust this CA file for the SMTP server's TLS certificate.")
    mail_from: str = Field("sbrflow@localhost", description="Sender address of every message (From).")
    messages_dir: Path | None = Field(
        None, description="Folder of the office's own message texts (*.j2); missing files fall back to config/messages."
    )
    message_batch_size: int = Field(100, ge=1, le=10000, description="Messages claimed and sent over one connection.")
    smtp_max_attempts: int = Field(8, ge=1, le=100, description="Transient failures before a message is failed.")
    smtp_retry_delay: float = Field(
        60.0, ge=0,
        description="Seconds before the first retry of a message; doubles, max 1 h.",
    )
    client_reminder_days: int = Field(
        3, ge=1, le=365,
        description="Days after an approval request (and between reminders) before a reminder.",
    )
    client_reminder_max: int = Field(3, ge=0, le=50, description="Most reminders one approval request gets.")
    stage_reminder_days: int = Field(
        5, ge=1, le=365,
        description="A stage open longer than this goes into its assignee's daily digest.",
    )
    escalation_days: int = Field(
        5, ge=0, le=365,
        description="Escalate to the relatiebeheerder this many days before the effective deadline.",
    )

    @model_validator(mode="after")
    def _one_tls_mode(self) -> Settings:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError("SBRFLOW_SMTP_SSL and SBRFLOW_SMTP_STARTTLS exclude each other; set one")
        return self

    # Client approval and the web application (issue 11).
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base of the links in client messages, e.g. https://portaal.kantoor.nl."
    )
    office_name: str = Field("Uw administratiekantoor", min_length=1, description="The office's name on client pages.")
    office_logo: Path | None = Field(None, description="A PNG, JPEG or SVG file shown on client pages.")
    approval_valid_days: int = Field(14, ge=1, le=365, description="Days an approval link opens.")
    approval_lookups_per_minute: int = Field(
        60, ge=0, description="Approval-link lookups allowed per client address per minute (0: no limit)."
    )
    web_threads: int = Field(
        8, ge=1, le=200, description="Threads serving the web pages' database work, per web process."
    )
    web_secret_key: str | None = Field(
        None, min_length=32,
        description="Key of the web forms' CSRF tokens; set it when several web processes serve one office.",
    )

    # Team pages (issue 14): sign-in sessions and lock-out.
    team_session_hours: int = Field(10, ge=1, le=24 * 30, description="Hours a team member's sign-in lasts.")
    team_lockout_attempts: int = Field(
        5, ge=1, le=100, description="Failed sign-ins in a row after which a team account is locked."
    )
    team_lockout_minutes: int = Field(15, ge=1, le=24 * 60, description="Minutes a locked team account stays locked.")

    # Submission (issue 12): Digipoort WUS 2.0 with the office's PKIoverheid services certificate.
    digipoort_aanlever_url: str = Field(
        "https://127.0.0.1:8443/wus/2.0/aanleverservice/1.2", description="AanleverService endpoint."
    )
    digipoort_status_url: str = Field(
        "https://127.0.0.1:8443/wus/2.0/statusinformatieservice/1.2", description="StatusinformatieService endpoint."
    )
    digipoort_cert_file: Path | None = Field(
        None,
        description="The office's certificate (PEM): TLS client and signature.",
    )
    digipoort_key_file: Path | None = Field(None, description="Its private key (PEM, unencrypted; keep it 0600).")
    digipoort_ca_file: Path | None = Field(None, description="CA bundle to trust Digipoort's server certificate with.")
    digipoort_connect_timeout: float = Field(5.0, gt=0, description="Seconds to connect to Digipoort.")
    digipoort_read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for Digipoort's answer.")
    submission_batch_size: int = Field(200, ge=1, le=5000, description="Cases claimed and sent per batch task.")
    submission_retries: int = Field(3, ge=0, le=10, description="Prefect retries of a batch on transient trouble.")
    submission_retry_delay: float = Field(10.0, ge=0, description="Seconds before such a retry.")

    # Hardening (issue 18): named locks in our database keep two runs of one job apart.
    lock_wait: float = Field(
        60.0, ge=0,
        description="Seconds a poll, import, plan or match waits for the run holding its lock, then gives up.",
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

    @field_validator("public_url")
    @classmethod
    def _valid_public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


def _one_line(exc: ValidationError) -> str:
    """Name the environment variable and say what is wrong, on one line."""
    parts = []
    for err in exc.errors():
        if not err["loc"]:  # a rule over several settings: its message names them
            parts.append(err["msg"])
            continue
        field = str(err["loc"][0])
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
