"""Running Alembic from code (the CLI and the tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the schema; at head, build the kept statistics of a register that has
    none yet (a database from before they were kept)."""
    command.upgrade(alembic_config(database_url), revision)
    if revision == "head":
        from api.services.statistics_command import build_if_missing

        asyncio.run(build_if_missing(database_url))
