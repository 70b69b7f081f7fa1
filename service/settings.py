"""Steward's settings: `STEWARD_` environment variables, each with a working default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./.steward/steward.db"


class Settings(BaseSettings):
    """Every knob of the service; `Settings()` works with no environment at all.

    The one settings class: each door reads it once when it starts (`Settings()`) and passes
    it down (create_app, start_scheduler, NoticeScheduler); nothing else reads the
    environment. Add a field where its section is; tests build `Settings(field=...)`.
    """

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore", frozen=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the store."
    )
    host: str = Field(default="127.0.0.1", description="Address `steward serve` binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `steward serve` binds to.")
    max_schema_bytes: int = Field(
        default=1_000_000, gt=0, description="Largest DDL or contract text accepted."
    )
    max_sql_bytes: int = Field(
        default=1_000_000, gt=0, description="Largest SQL text (views, subscriptions) accepted."
    )
    max_manifest_bytes: int = Field(
        default=50_000_000, gt=0, description="Largest dbt manifest accepted."
    )
    max_body_bytes: int = Field(
        default=8_000_000,
        gt=0,
        description="Largest request body (after gzip) of any route but the lineage manifests.",
    )
    parse_workers: int = Field(
        default=2,
        ge=0,
        description="Worker processes that parse and diff proposed schemas under a deadline "
        "(0: in the API's own process, without one).",
    )
    parse_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long one parse and diff may take in a worker."
    )
    default_notice_period: str = Field(
        default="P14D", description="Notice period of products that name none (ISO 8601)."
    )
    default_sunset_period: str = Field(
        default="P30D", description="Sunset period of products that name none (ISO 8601)."
    )
    review_reminder_after: str = Field(
        default="P2D",
        description="How long a proposal waits for its owners' decision before they are "
        "reminded (ISO 8601; once per proposal).",
    )
    run_migrations: bool = Field(
        default=True, description="Run `alembic upgrade head` when the app starts."
    )
    scheduler: bool = Field(
        default=True, description="Start the notice scheduler in-process, when it is installed."
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="API worker processes `steward serve` starts."
    )
    worker_timeout: int = Field(
        default=60,
        ge=1,
        description="Seconds a worker process may take to start or to answer the supervisor's "
        "health check before it is replaced (with `STEWARD_WORKERS` above 1).",
    )
    access_log: bool = Field(
        default=False, description="Log one line per HTTP request (uvicorn's access log)."
    )
    session_secret: str | None = Field(
        default=None,
        description="Key signing the console's session cookies (random per start when unset).",
    )

    # --- the notice scheduler (in `steward serve`, or `steward scheduler`) ---
    tick_seconds: float = Field(
        default=10.0, gt=0, description="How often the scheduler looks for due work."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of the links in notices."
    )
    webhook_secret: str = Field(
        default="steward-development-secret",
        description="HMAC-SHA256 key of webhook signatures: change it.",
    )
    scheduler_lease_seconds: float = Field(
        default=30.0, gt=0, description="How long the acting scheduler's lease lasts unrenewed."
    )
    notice_lease_seconds: float = Field(
        default=300.0, gt=0, description="How long a claimed notice stays claimed by a sender."
    )
    batch_size: int = Field(default=200, gt=0, description="Notices claimed per dispatch.")
    max_attempts: int = Field(default=8, gt=0, description="Deliveries tried before failing.")
    retry_base_seconds: float = Field(default=30.0, gt=0, description="First retry's backoff.")
    retry_cap_seconds: float = Field(default=3600.0, gt=0, description="Longest retry backoff.")

    # --- mail ---
    smtp_host: str = Field(default="127.0.0.1", description="Mail server.")
    smtp_port: int = Field(default=25, ge=0, le=65535, description="Mail server port.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="`none`, `starttls` or `tls`."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_sender: str = Field(default="steward@localhost", description="From address.")
    smtp_timeout: float = Field(default=30.0, gt=0, description="SMTP timeout in seconds.")

    webhook_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Host names, addresses or networks (comma-separated) webhooks may reach "
        "although they are inside the network (loopback, private, link-local, ...); "
        "by default only public addresses are.",
    )

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    def sqlite_path(self) -> Path | None:
        """The database file when the store is a file-backed SQLite database, else None."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        rest = self.database_url[len(prefix) :].split("?", 1)[0]
        if rest in ("", ":memory:"):
            return None
        return Path(rest)

    def ensure_database_directory(self) -> None:
        """Create the directory of a SQLite database file so the default URL works at once."""
        path = self.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
