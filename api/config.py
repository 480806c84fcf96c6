"""Settings, read once from the environment (prefix ``TUOPIN_``) or a ``.env`` file.

Dev mode needs nothing: it uses an SQLite file and a signing key it generates and
keeps under ``.tuopin/``. Production mode refuses to start until every secret it
needs is configured, and names the first one missing.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./tuopin.sqlite3"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Mode(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


class EvidenceStoreKind(StrEnum):
    LOCAL = "local"
    S3 = "s3"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TUOPIN_", env_file=".env", extra="ignore", frozen=True
    )

    mode: Mode = Mode.DEV
    database_url: str = DEFAULT_DATABASE_URL
    database_echo: bool = False
    database_pool_size: int = 20
    """Connections kept open (PostgreSQL). A request runs several reads at once; a pool
    smaller than the concurrent reads opens and closes a connection per read."""
    database_max_overflow: int = 20
    state_dir: Path = Path(".tuopin")
    dev_signing_key: SecretStr | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    token_ttl_minutes: int = 12 * 60
    max_body_bytes: int = 1_000_000
    gc_tuning: bool = True
    """At start-up, freeze what the process has built and collect young objects less
    often (api/gc_tuning.py): a request allocates thousands of short-lived objects."""
    database_read_url: str | None = None
    """A streaming replica of the primary (PostgreSQL): queries read there once their
    operation is known to be a query; mutations, role holdings and the policy watch stay
    on the primary (docs/deployment.md)."""
    compiled_reads: bool = True
    """On PostgreSQL, planned queries are answered by one statement that builds the JSON
    (api/compiled/); off, every query takes the general path."""
    compiled_mutations: bool = True
    """On PostgreSQL, planned mutations (performStage, postNotice, recordAcknowledgment)
    call their resolver directly and write the payload as planned (api/compiled/); off,
    every mutation takes the general path."""
    evidence_store: EvidenceStoreKind = EvidenceStoreKind.LOCAL
    """Where uploaded evidence files are kept: ``local`` (a directory, by default
    ``<state_dir>/evidence``) or ``s3`` (an S3-compatible bucket: AWS, MinIO, OSS, COS)."""
    evidence_dir: Path | None = None
    evidence_max_bytes: int = 20 * 1024 * 1024
    """The largest evidence file accepted (a scanned, signed paper of a few pages)."""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    """Unset for AWS; e.g. http://minio:9000 for MinIO."""
    s3_region: str | None = None
    s3_prefix: str = "evidence/"
    """Keys are ``<prefix><sha256>``. Credentials come the usual way (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, a profile, an instance role)."""
    log_format: LogFormat | None = None
    """``json`` (one object per line) or ``text``; unset: json in production, text in dev."""
    log_level: str = "info"
    metrics_token: SecretStr | None = None
    """The bearer token /metrics asks for in production (unset there: /metrics is 404);
    dev mode serves /metrics to anyone."""
    otel_endpoint: str | None = None
    """An OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces): tracing is on."""
    otel_service_name: str = "tuopin"

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        driver = value.split("://", 1)[0]
        if driver not in SUPPORTED_DRIVERS:
            supported = " or ".join(f"{d}://..." for d in SUPPORTED_DRIVERS)
            raise ValueError(f"must start with {supported}, not {driver}://")
        return value

    @field_validator("database_read_url")
    @classmethod
    def _postgresql_replica(cls, value: str | None, info: ValidationInfo) -> str | None:
        primary = str(info.data.get("database_url", ""))
        if value is not None and not (
            value.startswith("postgresql+asyncpg://") and primary.startswith("postgresql")
        ):
            raise ValueError(
                "must be a postgresql+asyncpg://... URL (a streaming replica of a "
                "PostgreSQL TUOPIN_DATABASE_URL)"
            )
        return value

    @model_validator(mode="after")
    def _bucket_for_s3(self) -> Settings:
        if self.evidence_store is EvidenceStoreKind.S3 and not self.s3_bucket:
            raise ValueError("TUOPIN_EVIDENCE_STORE=s3 needs a bucket (TUOPIN_S3_BUCKET)")
        return self

    @field_validator("evidence_max_bytes")
    @classmethod
    def _positive_size(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of bytes")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS).lower()}")
        return value.lower()

    @field_validator("token_ttl_minutes")
    @classmethod
    def _positive_ttl(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of minutes")
        return value

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or self.state_dir / "evidence"

    @property
    def is_dev(self) -> bool:
        return self.mode is Mode.DEV

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def logs_as(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.TEXT if self.is_dev else LogFormat.JSON

    def require_production_secrets(self) -> None:
        """Raise ConfigurationError naming the first production secret that is missing."""
        if self.is_dev:
            return
        if "database_url" not in self.model_fields_set:
            raise _missing("TUOPIN_DATABASE_URL", "a postgresql+asyncpg:// URL")
        if self.is_sqlite:
            raise ConfigurationError(
                "TUOPIN_DATABASE_URL must point at PostgreSQL (postgresql+asyncpg://...) "
                "in production mode"
            )
        if self.jwt_public_key_file is None and self.jwt_jwks_file is None:
            raise _missing(
                "TUOPIN_JWT_PUBLIC_KEY_FILE or TUOPIN_JWT_JWKS_FILE",
                "the key that verifies access tokens",
            )
        for path in (self.jwt_public_key_file, self.jwt_jwks_file):
            if path is not None and not path.is_file():
                raise ConfigurationError(f"the key file {path} does not exist")
        if not self.jwt_issuer:
            raise _missing("TUOPIN_JWT_ISSUER", "the expected token issuer")
        if not self.jwt_audience:
            raise _missing("TUOPIN_JWT_AUDIENCE", "the expected token audience")

    def signing_key(self) -> str:
        """The dev HS256 key: configured, or generated once and kept in the state dir."""
        if not self.is_dev:
            raise ConfigurationError("dev signing keys do not exist in production mode")
        if self.dev_signing_key is not None:
            return self.dev_signing_key.get_secret_value()
        path = self.state_dir / "dev-signing-key"
        if path.is_file():
            return path.read_text(encoding="ascii").strip()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key, encoding="ascii")
        return key


def _missing(name: str, what: str) -> ConfigurationError:
    return ConfigurationError(f"production mode needs {name} ({what}); it is not set")


def load_settings() -> Settings:
    """Read the settings, turning pydantic's report into one sentence per bad value."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"TUOPIN_{field.upper()} is invalid: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
