"""Read sessions: autocommit on PostgreSQL (no BEGIN/ROLLBACK around a SELECT)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.session import read_session_factory, session_factory


async def test_read_sessions_autocommit_on_postgresql_only(engine: AsyncEngine) -> None:
    async with read_session_factory(engine)() as session:
        options = (await session.connection()).sync_connection.get_execution_options()
    async with session_factory(engine)() as session:
        writing = (await session.connection()).sync_connection.get_execution_options()
    if engine.dialect.name == "postgresql":
        assert options.get("isolation_level") == "AUTOCOMMIT"
    else:
        assert "isolation_level" not in options
    assert "isolation_level" not in writing
