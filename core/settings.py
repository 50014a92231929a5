"""All configuration in one place, read from the environment (and `.env`).

Every field here is documented in `.env.example` and in the README's table.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from core.database import parse_database_url
from core.formats import TimeFormat, locale_time_format

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """The one settings class; the environment variable is the upper-cased field name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # --- scheduling service ---
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'scheduling.db'}"  # or postgresql://user:pass@host/db
    database_pool_min: int = Field(default=1, ge=0)  # PostgreSQL: connections each pool keeps open
    database_pool_max: int = Field(default=10, ge=1)  # PostgreSQL: most connections per pool (per process)
    slots_file: Path = PROJECT_ROOT / "data" / "slots.json"
    schedule_file: Path = PROJECT_ROOT / "data" / "schedule.json"
    clinic_timezone: str | None = None  # unset: the time zone in SCHEDULE_FILE
    clinic_name: str = "Riverside Family Clinic"
    clinic_locale: str = "en_US"  # how the clinic writes times, unless TIME_FORMAT says otherwise
    time_format: TimeFormat | None = None  # 12h ("2:00 PM") | 24h ("14:00"); unset: from CLINIC_LOCALE
    scheduler_now: datetime | None = None  # clinic-local; unset: the real clock
    hold_minutes: float = Field(default=5, gt=0)  # how long a slot hold lasts, by the clinic clock
    availability_cache_seconds: float = Field(default=1.0, ge=0)  # others' changes show within it; 0: no cache

    # --- notices to patients (issue 12) ---
    smtp_url: str | None = None  # smtp://user:pass@host:587?starttls=true; unset: .eml files in OUTBOX_DIR
    outbox_dir: Path | None = None  # unset: "outbox" beside the bookings database (var/outbox)
    mail_from: str = "appointments@clinic.example"  # the notices' sender address
    outbox_retry_seconds: float = Field(default=30.0, gt=0)  # first retry delay; doubles per failure, max 1 h

    # --- HTTP server ---
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)  # `serve` worker processes (sessions are shared in the sessions database)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"  # auto: readable lines on a terminal, JSON lines otherwise

    # --- agent ---
    scheduler_base_url: str | None = None  # unset: the same app, in-process (ASGI)
    scheduler_timeout: float = 10.0
    scheduler_retries: int = 2
    llm_provider: Literal["openai", "offline", "stub"] | None = None  # unset: openai if a key is set
    openai_api_key: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_base_url: str | None = None
    llm_temperature: float = 0.0
    # A reply's first token within FIRST_TOKEN_SECONDS, retries included, else the "try again" error.
    first_token_seconds: float = Field(default=30.0, gt=0)
    stream_stall_seconds: float = Field(default=15.0, gt=0)  # longest silence mid-reply, then the same error
    model_retries: int = Field(default=2, ge=0)  # retries of a transient model error (the only ones: see below)
    openai_timeout: float = Field(default=60.0, gt=0)  # the OpenAI client's own per-request timeout; it never retries
    checkpoint_url: str | None = None  # unset: the bookings PostgreSQL database, or an SQLite file beside it
    session_lease_seconds: float = Field(default=30.0, gt=0)  # a dead worker's chat sessions free up after this
    playground_token: str | None = None

    # --- clinic information (issue 13) ---
    clinic_info_path: Path = PROJECT_ROOT / "data" / "clinic.md"
    clinic_info_threshold: float = 0.8  # minimum -bm25 score for a section to count as an answer

    # --- request hardening (issue 16) ---
    max_body_bytes: int = Field(default=65536, ge=1)  # larger request bodies: 413, refused before read whole
    database_busy_seconds: float = Field(default=10.0, gt=0)  # wait for a locked database this long, then 503
    frame_ancestors: str = (
        "'self'"  # CSP frame-ancestors: who may frame the pages, e.g. "'self' https://clinic.example"
    )

    # --- limits for one client (issue 16; 0 switches a limit off; README "Limits") ---
    limit_client_turns_per_minute: int = Field(default=30, ge=0)  # chat messages per client address
    limit_client_sessions_per_hour: int = Field(default=30, ge=0)  # new chat sessions per client address
    limit_session_turns_per_minute: int = Field(default=12, ge=0)  # chat messages per session
    limit_client_bookings_per_minute: int = Field(default=10, ge=0)  # book/cancel requests per client address
    limit_upcoming_bookings: int = Field(default=3, ge=0)  # future confirmed bookings per e-mail and per phone
    limit_session_model_calls: int = Field(default=100, ge=0)  # model calls in one conversation, ever
    limit_client_model_calls_per_day: int = Field(default=300, ge=0)  # per client address and clinic day
    trust_forwarded_for: bool = False  # client address from X-Forwarded-For, set by a proxy in FORWARDED_ALLOW_IPS
    forwarded_allow_ips: str = "127.0.0.1,::1"  # the proxies whose X-Forwarded-For is trusted (comma-separated)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        return parse_database_url(value).url  # a clear error at start-up for an unsupported scheme

    @field_validator("checkpoint_url")
    @classmethod
    def _known_checkpoints(cls, value: str | None) -> str | None:
        return value if value in (None, "memory") else parse_database_url(value).url

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("scheduler_now")
    @classmethod
    def _naive_local(cls, value: datetime | None) -> datetime | None:
        # The frozen clock is clinic-local wall time; an offset given by mistake is dropped
        # after conversion would be ambiguous, so keep only the wall time as written.
        return value.replace(tzinfo=None) if value is not None else None

    @property
    def display_time_format(self) -> TimeFormat:
        """How times are shown to patients: TIME_FORMAT, else the clinic locale's clock."""
        return self.time_format or locale_time_format(self.clinic_locale)

    @property
    def effective_llm_provider(self) -> str:
        if self.llm_provider:
            return self.llm_provider
        return "openai" if self.openai_api_key else "offline"


class ExplicitSettings(Settings):
    """Settings from keyword arguments only, never the environment or `.env`: for scripted
    conversations and tests, which must run the same on every machine."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
