"""Engines and sessions.

One engine per process, created at start-up. SQLite gets WAL, a busy timeout and
foreign keys, and its driver's implicit transactions are replaced by explicit
``BEGIN`` so that SAVEPOINTs (and test rollback) behave as on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from api.db import chain as _chain  # noqa: F401  (registers the commit hook that chains facts)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    **kwargs: Any,
) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = _create_async_engine(url, echo=echo, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it cost a round trip on every checkout, several per request. A
    # connection the server dropped fails one statement and is discarded by the pool.
    return _create_async_engine(
        url,
        echo=echo,
        pool_recycle=1_800,
        pool_size=pool_size,
        max_overflow=max_overflow,
        **kwargs,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for one read each. On PostgreSQL they run in autocommit: a single
    SELECT needs no BEGIN and ROLLBACK around it (two round trips saved per read)."""
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(autocommit, expire_on_commit=False, autoflush=False)
