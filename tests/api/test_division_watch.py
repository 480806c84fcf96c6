"""Units are served from the process's cache only while PostgreSQL reports their changes:
a unit renamed, added or removed elsewhere reads so here within moments; on SQLite, at
once. Without the notifying trigger, or while the watch is lost, nothing is kept."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from api.authz.enforcer import Authorizer
from api.authz.watch import PolicyWatch, asyncpg_dsn
from api.config import Settings
from api.db.division_cache import DivisionCache
from api.db.repositories import jurisdictions as jurisdiction_repo
from api.db.session import create_engine

UNIT = "230231101"
NEW = "230231101990"  # a village no test data has
QUERY = "query($code: String!) { jurisdiction(code: $code) { name } }"


async def _name(app: Starlette, code: str = UNIT) -> str | None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/graphql", json={"query": QUERY, "variables": {"code": code}})
    unit = response.json()["data"]["jurisdiction"]
    return None if unit is None else str(unit["name"])


async def _elsewhere(url: str, statement: str, **values: Any) -> None:
    """What another process (a division load, an operator by hand) does, committed."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement), values)
    finally:
        await engine.dispose()


async def _rename_elsewhere(url: str, name: str) -> None:
    await _elsewhere(
        url, "UPDATE jurisdictions SET name = :name WHERE code = :code", name=name, code=UNIT
    )


async def _eventually(app: Starlette, expected: str | None, code: str = UNIT) -> str | None:
    seen = await _name(app, code)
    for _ in range(100):  # the notification arrives within milliseconds; allow 5 s
        if seen == expected:
            break
        await asyncio.sleep(0.05)
        seen = await _name(app, code)
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
        await _rename_elsewhere(settings.database_url, original or "")
    assert await _eventually(app, original) == original


async def test_a_unit_added_and_removed_elsewhere(app: Starlette, settings: Settings) -> None:
    url = settings.database_url
    assert await _name(app, NEW) is None
    await _elsewhere(
        url,
        "INSERT INTO jurisdictions (code, name, level, parent_code) "
        "VALUES (:code, '新村', 'village', :parent)",
        code=NEW,
        parent=UNIT,
    )
    try:
        assert await _eventually(app, "新村", NEW) == "新村"  # a miss is never kept
        await _name(app, NEW)  # now kept, where watched
    finally:
        await _elsewhere(url, "DELETE FROM jurisdictions WHERE code = :code", code=NEW)
    assert await _eventually(app, None, NEW) is None  # the deletion empties the cache


async def test_a_read_overtaken_by_a_change_is_not_kept(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change announced while the read runs: what it read may be stale, so it is
    served to this request but not kept for the next."""
    cache: DivisionCache = app.state.divisions
    if not cache.watched:
        cache.watch(True)  # SQLite: as if watched, for the loader's part of the rule
    read = jurisdiction_repo.by_codes

    async def overtaken(session: Any, codes: Any) -> Any:
        found = await read(session, codes)
        cache.changed()  # the notification arrives before the read is done
        return found

    monkeypatch.setattr(jurisdiction_repo, "by_codes", overtaken)
    assert await _name(app) is not None
    assert cache.known([UNIT]) == {}
    monkeypatch.setattr(jurisdiction_repo, "by_codes", read)
    await _name(app)
    assert cache.known([UNIT])  # an undisturbed read is kept


async def test_without_the_trigger_nothing_is_kept(app: Starlette, settings: Settings) -> None:
    if app.state.engine.dialect.name != "postgresql":
        assert app.state.divisions.watched is False
        return
    cache = DivisionCache()
    watch = PolicyWatch(
        asyncpg_dsn(settings.database_url), Authorizer(), divisions=cache, recheck_seconds=0.05
    )
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    await watch.start()
    try:
        assert cache.watched
        await connection.execute("ALTER TABLE jurisdictions DISABLE TRIGGER jurisdictions_notify")
        for _ in range(100):
            if not cache.watched:
                break
            await asyncio.sleep(0.05)
        assert not cache.watched  # the next check saw the trigger disabled
        await connection.execute(
            "ALTER TABLE jurisdictions ENABLE ALWAYS TRIGGER jurisdictions_notify"
        )
        for _ in range(100):
            if cache.watched:
                break
            await asyncio.sleep(0.05)
        assert cache.watched
    finally:
        await connection.execute(
            "ALTER TABLE jurisdictions ENABLE ALWAYS TRIGGER jurisdictions_notify"
        )
        await connection.close()
        await watch.stop()


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
            "WHERE application_name = 'tuopin-policy-watch' AND datname = current_database()"
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
        await _rename_elsewhere(settings.database_url, original or "")
    assert await _eventually(app, original) == original
