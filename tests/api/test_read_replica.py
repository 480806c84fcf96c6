"""TUOPIN_DATABASE_READ_URL: queries read the replica, mutations and holdings the primary.

The "replica" is a copy of the primary (CREATE DATABASE ... TEMPLATE) with rows then
changed in the copy only, so each answer shows which database it came from.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.models import Jurisdiction, RoleAssignment, WebhookSubscription
from api.db.session import create_engine
from api.domain.jurisdictions import Level
from api.domain.roles import Role
from api.services import access
from tests.api.conftest import own_settings, serving, token_for
from tests.api.conftest import test_subject as subject_of
from tests.conftest import IN_CI, _pg_admin, _pg_unreachable, fresh_database

CREATE = """mutation($input: CreateWebhookInput!) {
  createWebhookSubscription(input: $input) { __typename
    ... on CreateWebhookSuccess { subscription { id jurisdiction } } } }"""


@pytest.fixture
def primary_and_replica(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A primary and its "replica" (a copy), both PostgreSQL: replicas are PostgreSQL's,
    so this runs once, not per backend (and fails under CI=true without a server)."""
    problem = _pg_unreachable()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: PostgreSQL tests must run)")
        pytest.skip(problem)
    with fresh_database("postgresql", tmp_path, "primary") as primary:
        asyncio.run(_seed(primary))
        name = f"tuopin_replica_{uuid.uuid4().hex[:10]}"
        source = make_url(primary).database
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        replica = make_url(primary).set(database=name).render_as_string(hide_password=False)
        try:
            asyncio.run(_diverge(replica))
            yield primary, replica
        finally:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            session.add(Jurisdiction(code="23", name="黑龙江省", level=Level.PROVINCE))
            await session.flush()
            await access.grant_bootstrap(
                session,
                subject=subject_of(Role.INTEGRATOR, "23"),
                role=Role.INTEGRATOR,
                jurisdiction="23",
                now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()


async def _diverge(url: str) -> None:
    """In the copy only: the province renamed, the integrator's holding revoked."""
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                update(Jurisdiction).where(Jurisdiction.code == "23").values(name="复本省")
            )
            await session.execute(update(RoleAssignment).values(revoked_at=datetime.now(UTC)))
    finally:
        await engine.dispose()


async def _subscriptions(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            count: int = (
                await connection.execute(select(func.count()).select_from(WebhookSubscription))
            ).scalar_one()
            return count
    finally:
        await engine.dispose()


async def _replica_connections(url: str, replica: str) -> int:
    name = make_url(replica).database
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            sql = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
            count: int = (await connection.execute(sql, {"name": name})).scalar_one()
            return count
    finally:
        await engine.dispose()


@pytest.mark.parametrize("compiled", [False, True], ids=["general", "compiled"])
async def test_queries_read_the_replica_mutations_write_the_primary(
    primary_and_replica: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    compiled: bool,
) -> None:
    primary, replica = primary_and_replica
    settings = own_settings(primary, tmp_path_factory).model_copy(
        update={"database_read_url": replica, "compiled_reads": compiled}
    )
    integrator = {"Authorization": f"Bearer {token_for(Role.INTEGRATOR, '23')}"}
    async with serving(settings) as client:

        async def gql(query: str, **variables: object) -> dict[str, object]:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=integrator
            )
            body: dict[str, object] = response.json()
            assert "errors" not in body, body
            return body["data"]  # type: ignore[return-value]

        # A query's rows come from the replica ...
        assert await gql("{ provinces { name } }") == {"provinces": [{"name": "复本省"}]}
        # ... but the general path's unit cache is filled from the primary, whose
        # notifications empty it; a compiled query (api/compiled/) is one statement on the
        # replica, units included,
        province = "复本省" if compiled else "黑龙江省"
        assert await gql('{ jurisdiction(code: "23") { name } }') == {
            "jurisdiction": {"name": province}
        }
        # ... and the holding is checked on the primary: revoked on the replica only, the
        # token still counts.
        assert await gql("{ viewer { subject } }") == {
            "viewer": {"subject": subject_of(Role.INTEGRATOR, "23")}
        }
        # A mutation writes the primary, and its payload is read there (read-your-writes).
        hook = {"url": "http://127.0.0.1:9/hook", "kinds": ["household_deregistered"]}
        made = await gql(CREATE, input={**hook, "jurisdiction": "23"})
        payload = made["createWebhookSubscription"]
        assert payload["__typename"] == "CreateWebhookSuccess"  # type: ignore[index]
        assert payload["subscription"]["jurisdiction"] == "23"  # type: ignore[index]
        # The copy is no streaming replica: it never receives the row. A real one would
        # within its replay lag; until then a query does not see it (docs/deployment.md).
        assert await gql("{ webhookSubscriptions { id } }") == {"webhookSubscriptions": []}
        assert await _replica_connections(primary, replica) >= 1
    assert await _subscriptions(primary) == 1
    assert await _subscriptions(replica) == 0


def test_a_replica_url_needs_postgresql_on_both_sides() -> None:
    with pytest.raises(ValueError, match="database_read_url"):
        Settings(database_read_url="postgresql+asyncpg://h/replica")  # SQLite primary
    with pytest.raises(ValueError, match="database_read_url"):
        Settings(
            database_url="postgresql+asyncpg://h/primary",
            database_read_url="sqlite+aiosqlite:///replica.sqlite3",
        )
