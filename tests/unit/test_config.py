from __future__ import annotations

from pathlib import Path

import pytest

from api.config import Mode, Settings, load_settings
from api.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "MODE",
        "DATABASE_URL",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "JWT_JWKS_FILE",
        "JWT_PUBLIC_KEY_FILE",
        "DEV_SIGNING_KEY",
    ):
        monkeypatch.delenv(f"TUOPIN_{name}", raising=False)


def test_dev_mode_needs_nothing_and_keeps_its_generated_key(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    settings.require_production_secrets()
    key = settings.signing_key()
    assert len(key) >= 48
    assert Settings(state_dir=tmp_path / "state").signing_key() == key
    assert (tmp_path / "state" / "dev-signing-key").stat().st_mode & 0o777 == 0o600


def test_production_names_each_missing_secret_in_turn(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text("{}", encoding="utf-8")
    steps = [
        ({}, "TUOPIN_DATABASE_URL"),
        ({"database_url": "postgresql+asyncpg://db/tuopin"}, "TUOPIN_JWT_PUBLIC_KEY_FILE"),
        ({"jwt_jwks_file": jwks}, "TUOPIN_JWT_ISSUER"),
        ({"jwt_issuer": "https://id.example"}, "TUOPIN_JWT_AUDIENCE"),
    ]
    given: dict[str, object] = {"mode": Mode.PRODUCTION}
    for extra, missing in steps:
        given.update(extra)
        with pytest.raises(ConfigurationError, match=missing):
            Settings(**given).require_production_secrets()  # type: ignore[arg-type]
    given["jwt_audience"] = "tuopin"
    Settings(**given).require_production_secrets()  # type: ignore[arg-type]


def test_production_refuses_sqlite_and_dev_keys() -> None:
    settings = Settings(mode=Mode.PRODUCTION, database_url="sqlite+aiosqlite:///x.db")
    with pytest.raises(ConfigurationError, match="must point at PostgreSQL"):
        settings.require_production_secrets()
    with pytest.raises(ConfigurationError, match="do not exist in production"):
        settings.signing_key()


def test_a_bad_environment_value_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUOPIN_DATABASE_URL", "mysql://db/tuopin")
    with pytest.raises(ConfigurationError, match=r"TUOPIN_DATABASE_URL is invalid: .*mysql://"):
        load_settings()
    monkeypatch.setenv("TUOPIN_DATABASE_URL", "sqlite+aiosqlite:///x.db")
    monkeypatch.setenv("TUOPIN_MODE", "staging")
    with pytest.raises(ConfigurationError, match="TUOPIN_MODE is invalid"):
        load_settings()
