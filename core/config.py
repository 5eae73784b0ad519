"""Settings: the one reader of the environment.

Every process (app, API, scheduler, CLI) asks `get_settings()`; nothing else reads os.environ.
"""

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEVELOPMENT_SECRET_KEY = "adflow-development-secret-do-not-use-in-production"


class ConfigurationError(RuntimeError):
    """The environment describes a configuration the product refuses to run with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADFLOW_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)

    app_host: str = "127.0.0.1"
    app_port: int = Field(default=8501, ge=1, le=65535)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64)
    # PostgreSQL connections per API worker for the campaign reads served from its event loop:
    # about one per core of the database server beside it. More only queue inside PostgreSQL
    # (on 2 cores, 10 had the slowest 5% of requests take three times as long as with 3).
    api_read_connections: int = Field(default=3, ge=1, le=100)

    # The REST sidecar: token lifetimes, who may call it from a browser, and how much it accepts.
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    # Browser origins allowed to call the API (comma-separated in ADFLOW_API_CORS_ORIGINS).
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    api_rate_limit: int = Field(default=100, ge=1, description="requests per client per window")
    api_rate_limit_window_seconds: int = Field(default=60, ge=1, le=3600)
    api_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # CSV uploads to POST /api/v1/imports: a year of a large account's daily export.
    api_max_upload_bytes: int = Field(default=50 * 1_048_576, ge=1024)
    # Seconds the API may answer GET /dashboard/summary from memory (per worker process); as
    # fresh as the app's own dashboard (app_cache_seconds).
    api_summary_cache_seconds: float = Field(default=30.0, ge=0)
    # Seconds a signed-in user's role and status are trusted without reading them again.
    auth_cache_seconds: float = Field(default=10.0, ge=0)
    # Lists longer than count_cache_min_rows are counted at most every count_cache_seconds (per
    # process; a change made in the same process counts at once); shorter ones always exactly.
    count_cache_seconds: float = Field(default=10.0, ge=0)
    count_cache_min_rows: int = Field(default=5_000, ge=0)

    # Failed log-ins per account (in the app and the API) before it is locked for the rest of
    # the lockout period, counted from the first failure.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_seconds: int = Field(default=900, ge=1, le=86_400)

    # bcrypt work factor: 12 in production; tests lower it so that creating users is quick.
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)

    # The app: how long a login lasts in the browser (a cookie signed with secret_key), and how
    # soon data written by other processes (scheduler, API, imports) shows on a screen.
    login_cookie_name: str = "adflow_login"
    login_cookie_days: float = Field(default=7.0, gt=0)
    app_cache_seconds: int = Field(default=30, ge=0)
    # A campaign spending within this share of its expected spend so far is "on pace".
    pacing_tolerance: float = Field(default=0.10, ge=0, le=1)

    # The simulator stands in for the live ad platforms; its seed makes the demo reproducible.
    simulator_seed: int = 7
    log_level: str = "INFO"
    # Keys this installation writes in Redis start with this (several installations may share one).
    redis_key_prefix: str = "adflow:"

    # CSV import reads and parses files in chunks of this many rows (memory stays bounded).
    import_chunk_rows: int = Field(default=50_000, ge=1_000)

    # Metric sync: each run re-pulls this many days before the last sync, for conversions that
    # platforms report late; a placement never synced starts at most this many days back.
    sync_lookback_days: int = Field(default=7, ge=0, le=90)
    sync_backfill_days: int = Field(default=90, ge=1)

    # The scheduler's timetable (crontab lines, UTC) and how it shares the lock with other instances.
    schedule_sync_metrics: str = "5 * * * *"
    schedule_dispatch_notifications: str = "* * * * *"
    schedule_prune_history: str = "40 3 * * *"
    # The optimizer runs after the night's syncs have brought yesterday in; retraining weekly.
    schedule_optimize: str = "30 6 * * *"
    # The impact ledger measures actions just before, so the optimizer's confidence is up to date.
    schedule_measure_impacts: str = "0 6 * * *"
    schedule_retrain_predictor: str = "15 4 * * 1"
    schedule_expire_recommendations: str = "10 * * * *"
    scheduler_workers: int = Field(default=2, ge=1, le=16)
    scheduler_lock_ttl_seconds: int = Field(default=30, ge=5)
    scheduler_standby_poll_seconds: float = Field(default=5.0, gt=0)
    scheduler_once_wait_seconds: float = Field(default=10.0, ge=0)
    job_runs_retention_days: int = Field(default=30, ge=1)

    # Notifications: the SMTP server for e-mail (none: e-mail is not sent), retries with backoff.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "AdFlowAI <adflow@localhost>"
    notification_timeout_seconds: float = Field(default=10.0, gt=0)
    notification_max_attempts: int = Field(default=8, ge=1)
    notification_retry_base_seconds: int = Field(default=60, ge=1)
    notification_batch_size: int = Field(default=50, ge=1)
    notification_retention_days: int = Field(default=90, ge=1)

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'adflow.sqlite3'}"
        if not self.redis_url:
            self.redis_url = None
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check_production_ready(self) -> None:
        """Refuse to serve production traffic with a secret anybody can read in the repository."""
        secret = self.secret_key.get_secret_value()
        if self.is_production and (secret == DEVELOPMENT_SECRET_KEY or len(secret) < 32):
            raise ConfigurationError(
                "ADFLOW_ENV=production needs ADFLOW_SECRET_KEY set to a random value of at least "
                "32 characters (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    settings.check_production_ready()
    return settings


def share_connections_evenly_between_workers() -> None:
    """Each API worker takes one waiting connection at a time (libuv's option; workers inherit it).

    Otherwise the first to wake takes a whole burst of them, and under load it serves two clients
    for every one its sibling serves, at twice the latency.
    """
    os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
