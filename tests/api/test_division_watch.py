"""Units are served from the process's cache only while PostgreSQL reports their changes:
a unit renamed elsewhere reads renamed here within moments; on SQLite, at once."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
from sqlalchemy import text
from starlette.applications import Starlette

from api.authz.watch import asyncpg_dsn
from api.config import Settings
from api.db.session import create_engine

UNIT = "230231101"
QUERY = "query($code: String!) { jurisdiction(code: $code) { name } }"


async def _name(app: Starlette) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/graphql", json={"query": QUERY, "variables": {"code": UNIT}})
    return str(response.json()["data"]["jurisdiction"]["name"])


async def _rename_elsewhere(url: str, name: str) -> None:
    """What another process (a division load, an operator by hand) does, committed."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE jurisdictions SET name = :name WHERE code = :code"),
                {"name": name, "code": UNIT},
            )
    finally:
        await engine.dispose()


async def _eventually(app: Starlette, expected: str) -> str:
    seen = ""
    for _ in range(100):  # the notification arrives within milliseconds; allow 5 s
        seen = await _name(app)
        if seen == expected:
            break
        await asyncio.sleep(0.05)
    return seen


async def test_a_unit_renamed_elsewhere_reads_renamed(app: Starlette, settings: Settings) -> None:
    watched = app.state.engine.dialect.name == "postgresql"
    original = await _name(app)
    assert bool(app.state.divisions.known([UNIT])) is watched  # kept only when watched
    try:
        await _rename_elsewhere(settings.database_url, "改名镇")
        if not watched:
            assert await _name(app) == "改名镇"  # nothing kept: read at once
        assert await _eventually(app, "改名镇") == "改名镇"
    finally:
        await _rename_elsewhere(settings.database_url, original)
    assert await _eventually(app, original) == original


async def test_a_lost_watch_trusts_nothing_until_it_listens_again(
    app: Starlette, settings: Settings
) -> None:
    if app.state.engine.dialect.name != "postgresql":
        assert app.state.divisions.watched is False
        return
    original = await _name(app)
    assert app.state.divisions.known([UNIT])
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'tuopin-policy-watch'"
        )
    finally:
        await connection.close()
    for _ in range(100):
        if not app.state.divisions.known([UNIT]):
            break
        await asyncio.sleep(0.05)
    assert not app.state.divisions.known([UNIT])  # emptied when the connection went
    for _ in range(100):
        if app.state.divisions.watched:
            break
        await asyncio.sleep(0.05)
    assert app.state.divisions.watched  # listening again: changes are heard again
    try:
        await _name(app)
        await _rename_elsewhere(settings.database_url, "又改名镇")
        assert await _eventually(app, "又改名镇") == "又改名镇"
    finally:
        await _rename_elsewhere(settings.database_url, original)
    assert await _eventually(app, original) == original
