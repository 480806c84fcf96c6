"""Test databases: every database test runs on SQLite and again on PostgreSQL.

PostgreSQL is found at TUOPIN_TEST_PG_URL (default: the machine's server,
database ``test``). A throwaway database is created for the run and dropped
after it. Without a reachable server the PostgreSQL cases are skipped, except
with CI=true, where they fail: CI must never pass on SQLite alone.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db.session import create_engine
from api.demo.generator import DemoData, generate
from api.demo.loader import load
from api.migrations import upgrade
from api.policy_files import standards

# Test processes build many apps; none of them should freeze the collector (api/gc_tuning.py).
os.environ.setdefault("TUOPIN_GC_TUNING", "false")
PG_ADMIN_URL = os.environ.get("TUOPIN_TEST_PG_URL", "postgresql+asyncpg://127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]


@dataclass(frozen=True)
class Database:
    backend: str
    url: str


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _pg_unreachable() -> str | None:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def demo_data() -> DemoData:
    return generate(standards())


@pytest.fixture(scope="session", params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, demo_data: DemoData
) -> Iterator[Database]:
    """A migrated database holding the demo data, one per backend for the whole run."""
    backend: str = request.param
    if backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "tuopin.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        _prepare(url, demo_data)
        yield Database(backend, url)
        return
    problem = _pg_unreachable()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: PostgreSQL tests must run)")
        pytest.skip(problem)
    name = f"tuopin_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        _prepare(url, demo_data)
        yield Database(backend, url)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_database(backend: str, directory: Path, prefix: str) -> Iterator[str]:
    """An empty migrated database of its own, for tests that commit; dropped after."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / f'{prefix}.sqlite3'}"
        upgrade(url)
        yield url
        return
    name = f"tuopin_{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _prepare(url: str, data: DemoData) -> None:
    upgrade(url)

    async def fill() -> None:
        engine = create_engine(url)
        try:
            async with AsyncSession(engine) as session, session.begin():
                await load(session, data)
        finally:
            await engine.dispose()

    asyncio.run(fill())


@pytest.fixture(scope="session")
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database.url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back after the test, commits included."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()
