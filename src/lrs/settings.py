"""Settings from the environment (prefix ``LRS_``); see the README's settings table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from lrs.errors import LRSError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


# At most this many workers by default: each holds up to 2 x LRS_POOL_SIZE connections (each
# of its LRS_BATCH_PROCESSES batch processes 4 more once started, its forwarder 2), and the
# embedded PostgreSQL accepts 150.
MAX_DEFAULT_WORKERS = 4


def machine_workers() -> int:
    """The default worker count: one worker per two CPUs this process may run on (its
    affinity mask, so a container's CPU set counts, not the host's), at least 1, at most
    MAX_DEFAULT_WORKERS. Half, because every write costs PostgreSQL (on the same machine,
    embedded or not, in the usual deployment) about as much CPU as the server: a worker per
    CPU only makes them compete (measured in bench/RESULTS.md)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cpus // 2))


class SettingsError(LRSError):
    """A setting has a bad value; the message is one line naming it."""


class Settings(BaseSettings):
    """Every knob of the service. Unknown ``LRS_*`` variables are ignored."""

    model_config = SettingsConfigDict(env_prefix="LRS_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://user:pass@host:port/db; unset: embedded PostgreSQL",
    )
    data_dir: Path = Field(default=Path(".lrs"), description="home of the embedded cluster")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int | None = Field(
        default=None, ge=1, le=64, description="worker processes; unset: `machine_workers()`"
    )
    bootstrap_key: str | None = None
    bootstrap_secret: str | None = None
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    body_memory_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024 * 1024,
        description="bytes of request bodies over 1 MiB a worker processes at once; a body "
        "that would pass it waits, read, until others are done",
    )
    max_batch_statements: int = Field(default=1000, ge=1)
    batch_processes: int = Field(
        default=3,
        ge=1,
        le=8,
        description="batch processes per worker: the first takes every body over 64 KiB "
        "while it holds fewer than 2, the others (started when first wanted) the rest",
    )
    max_query_limit: int = Field(default=100, ge=1, le=10000)
    max_document_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    log_level: LogLevel = "INFO"
    primary_xapi_version: Literal["1.0.3", "2.0.0"] = "2.0.0"
    pool_size: int = Field(default=10, ge=1, le=200)
    door_extension: str = Field(
        default="https://w3id.org/xapi/retail/extensions/door",
        description="context extension IRI whose string value is a door id, read at ingest",
    )
    role_extension: str = Field(
        default="https://w3id.org/xapi/retail/extensions/role",
        description="context extension IRI whose string value is a role id, read at ingest",
    )
    pseudonym_key: str | None = Field(
        default=None,
        description="HMAC key of the pseudonymous actor_key in BI exports; unset: a random "
        "key is generated once and kept in the database",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="largest request line plus headers; a bigger head is answered 431",
    )
    max_header_fields: int = Field(
        default=100,
        ge=10,
        le=10_000,
        description="most header fields in one request; more are answered 431",
    )
    header_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="time a request line and headers may take to arrive (from the "
        "connection, for its first request); past it the client gets 408",
    )
    body_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="time a request body may take to arrive, plus one second per 500 bytes "
        "it has delivered; past it the client gets 408",
    )
    statement_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description="PostgreSQL statement_timeout of every query the server runs (0: none); "
        "a query cancelled by it is answered 503",
    )
    max_concurrent_exports: int = Field(
        default=4,
        ge=1,
        description="BI exports streamed at once per worker; one more is answered 429",
    )
    min_group_size: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="BI aggregates over fewer distinct learners are suppressed for credentials "
        "without ext/bi/identities",
    )
    tenure_bands: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [3, 12],
        description="tenure band limits in months, ascending (3,12: <3, 3-12, >=12)",
    )
    coaching_verbs: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "https://w3id.org/xapi/retail/verbs/coached",
            "http://id.tincanapi.com/verb/mentored",
        ],
        description="verb IRIs whose result.duration counts as coaching minutes",
    )
    coaching_activity_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["https://w3id.org/xapi/retail/activity-types/coaching-session"],
        description="activity type IRIs whose result.duration counts as coaching minutes",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="purge statements stored more than this many days ago, daily, in one "
        "process at a time; unset: keep forever",
    )
    secret_key: str | None = Field(
        default=None,
        description="key that encrypts forwarding secrets; unset: a generated key kept in "
        "the database",
    )
    forwarding_enabled: bool = Field(
        default=True, description="run the forwarder (delivery to targets) in this process"
    )
    forwarding_batch_size: int = Field(default=100, ge=1, le=1000)
    forwarding_poll_seconds: float = Field(default=1.0, gt=0)
    forwarding_timeout_seconds: float = Field(default=10.0, gt=0)
    forwarding_lease_seconds: float = Field(default=30.0, gt=0)
    forwarding_backoff_base_seconds: float = Field(default=1.0, gt=0)
    forwarding_backoff_max_seconds: float = Field(default=300.0, gt=0)
    forwarding_max_attempts: int = Field(default=10, ge=1)
    forwarding_max_pending: int = Field(
        default=1_000_000,
        ge=1,
        description="pending statements per target above which the alert metric is raised",
    )
    console_secure_cookie: bool = Field(
        default=False, description="mark the console's session cookie Secure (behind TLS)"
    )
    console_idle_minutes: int = Field(
        default=30, ge=1, description="a console session ends after this long unused"
    )
    console_absolute_hours: int = Field(
        default=12, ge=1, description="a console session ends this long after login, used or not"
    )

    @field_validator(
        "cors_origins", "coaching_verbs", "coaching_activity_types", "tenure_bands", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """The list settings are read from the environment as comma-separated text."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("tenure_bands")
    @classmethod
    def _ascending_bands(cls, value: list[int]) -> list[int]:
        if any(b <= 0 for b in value) or value != sorted(set(value)):
            raise ValueError("must be ascending positive month counts, e.g. 3,12")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql+asyncpg://", "postgresql://", "postgres://")):
            raise ValueError("must be a postgresql+asyncpg:// URL")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _bootstrap_pair(self) -> Settings:
        if bool(self.bootstrap_key) != bool(self.bootstrap_secret):
            raise ValueError("LRS_BOOTSTRAP_KEY and LRS_BOOTSTRAP_SECRET must be set together")
        if self.bootstrap_key and (":" in self.bootstrap_key or " " in self.bootstrap_key):
            raise ValueError("LRS_BOOTSTRAP_KEY must not contain ':' or spaces")
        return self

    @property
    def worker_count(self) -> int:
        """LRS_WORKERS, or the machine's default (`machine_workers`)."""
        return self.workers if self.workers is not None else machine_workers()

    @property
    def async_database_url(self) -> str | None:
        """The configured URL with the asyncpg driver named, whatever form was given."""
        if self.database_url is None:
            return None
        for prefix in ("postgresql://", "postgres://"):
            if self.database_url.startswith(prefix):
                return "postgresql+asyncpg://" + self.database_url[len(prefix) :]
        return self.database_url


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation failure into one clear line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule across settings names them in its message
            message = first["msg"].removeprefix("Value error, ")
            raise SettingsError(f"invalid settings: {message}") from None
        name = "LRS_" + str(first["loc"][0]).upper()
        raise SettingsError(f"invalid setting {name}: {first['msg']}") from None
