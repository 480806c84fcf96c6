"""``tuopin demo``: generate and load the demo in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from api.config import Settings
from api.db.repositories import jurisdictions
from api.db.session import create_engine, session_factory
from api.demo import scenes
from api.demo.generator import generate
from api.demo.loader import load
from api.demo.tokens import HOLDINGS, dev_subject
from api.errors import ConfigurationError
from api.files.store import store_of
from api.policy_files import standards
from api.services import access


async def load_demo(settings: Settings, *, if_empty: bool, seed: int) -> dict[str, int] | None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            if not await connection.run_sync(_migrated):
                raise ConfigurationError("the database has no tables yet; run `tuopin migrate`")
        async with session_factory(engine)() as session, session.begin():
            if await jurisdictions.any_exist(session):
                if if_empty:
                    return None
                raise ConfigurationError(
                    "the database already holds data; the demo loads only into an empty one"
                )
            counts = await load(session, generate(standards(), seed=seed))
            for role, code in HOLDINGS:
                await access.grant_bootstrap(
                    session,
                    subject=dev_subject(role, code),
                    role=role,
                    jurisdiction=code,
                    now=datetime.now(UTC),
                )
            counts["role holdings"] = len(HOLDINGS)
            stored = await scenes.run(session, datetime.now(UTC), store_of(settings))
            counts["evidence files"] = stored
            return counts
    finally:
        await engine.dispose()


def _migrated(connection: Connection, /) -> bool:
    return bool(inspect(connection).has_table("jurisdictions"))
