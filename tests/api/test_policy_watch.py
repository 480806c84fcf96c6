"""Role changes reach every process: by the policy watch on PostgreSQL (no version read per
request), by a version read per request elsewhere. A revoked holding reads as the public."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from api.auth.tokens import issue_dev_token
from api.authz.enforcer import Authorizer
from api.authz.watch import APPLICATION_NAME, PolicyWatch, asyncpg_dsn
from api.config import Settings
from api.db.models import RoleAssignment
from api.db.session import create_engine
from api.domain.roles import Principal, Role
from api.services import access
from tests.api.conftest import KEY, token_for

VIEWER = "{ viewer { role } }"
UNIT = "230231101"


async def _ask(app: Starlette, token: str) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
        )
    return response.json()["data"]["viewer"]


async def _elsewhere(url: str, subject: str, *, revoke: bool) -> None:
    """What another worker process does: change a holding and commit."""
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            if revoke:
                await session.execute(
                    update(RoleAssignment)
                    .where(RoleAssignment.subject == subject, RoleAssignment.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC), revoked_by="test")
                )
                await access._bump(session)
            else:
                await access.grant_bootstrap(
                    session,
                    subject=subject,
                    role=Role.INSPECTOR,
                    jurisdiction=UNIT,
                    now=datetime.now(UTC),
                )
    finally:
        await engine.dispose()


async def _eventually(app: Starlette, token: str, expected: Any) -> Any:
    for _ in range(100):  # the notification arrives within milliseconds; allow 5 s
        seen = await _ask(app, token)
        if seen == expected:
            return seen
        await asyncio.sleep(0.05)
    return seen


async def test_changes_made_elsewhere_reach_this_process(
    app: Starlette, settings: Settings
) -> None:
    watched = app.state.engine.dialect.name == "postgresql"
    assert app.state.authorizer.watched is watched
    subject = f"test:watch:{datetime.now(UTC).timestamp()}"
    token = issue_dev_token(
        Principal(subject, Role.INSPECTOR, UNIT), key=KEY, ttl=timedelta(minutes=5)
    )
    assert await _ask(app, token) is None  # not granted yet: the public
    await _elsewhere(settings.database_url, subject, revoke=False)
    assert await _eventually(app, token, {"role": "INSPECTOR"}) == {"role": "INSPECTOR"}
    await _elsewhere(settings.database_url, subject, revoke=True)
    assert await _eventually(app, token, None) is None
    assert app.state.authorizer.watched is watched


async def test_a_revocation_here_counts_at_once(app: Starlette) -> None:
    """The process that revokes reads the version itself until its watch hears of it."""
    admin = token_for(Role.COUNTY_LEADING_GROUP, "230231")
    held = token_for(Role.INSPECTOR, "230231101")
    assert await _ask(app, held) == {"role": "INSPECTOR"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        async with app.state.sessions() as session:
            assignment = await session.scalar(
                select(RoleAssignment.id).where(
                    RoleAssignment.subject == "test:inspector:230231101",
                    RoleAssignment.revoked_at.is_(None),
                )
            )
        revoked = await client.post(
            "/graphql",
            json={
                "query": "mutation($id: Int!) { revokeRole(input: {assignmentId: $id}) "
                "{ __typename ... on Error { message } } }",
                "variables": {"id": assignment},
            },
            headers={"Authorization": f"Bearer {admin}"},
        )
        payload = revoked.json()["data"]["revokeRole"]
        assert payload["__typename"] == "RoleAssignmentSuccess", revoked.text
        assert await _ask(app, held) is None  # no waiting for the notification
        # Put it back for the other tests of the session.
        async with app.state.sessions() as session, session.begin():
            await access.grant_bootstrap(
                session,
                subject="test:inspector:230231101",
                role=Role.INSPECTOR,
                jurisdiction="230231101",
                now=datetime.now(UTC),
            )


async def _watch_pids(settings: Settings) -> set[int]:
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
            " AND datname = current_database()",
            APPLICATION_NAME,
        )
        return {row["pid"] for row in rows}
    finally:
        await connection.close()


async def test_a_lost_watch_listens_again(app: Starlette, settings: Settings) -> None:
    if app.state.engine.dialect.name != "postgresql":
        assert app.state.authorizer.watched is False  # nothing to lose: always read
        return
    before = await _watch_pids(settings)
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        for pid in before:
            await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()
    for _ in range(100):
        after = await _watch_pids(settings)
        if after and not after & before and app.state.authorizer.watched:
            break
        await asyncio.sleep(0.05)
    assert after
    assert not after & before
    assert app.state.authorizer.watched is True
    # The new connection hears changes: a grant made elsewhere arrives.
    subject = f"test:watch-again:{datetime.now(UTC).timestamp()}"
    token = issue_dev_token(
        Principal(subject, Role.INSPECTOR, UNIT), key=KEY, ttl=timedelta(minutes=5)
    )
    await _elsewhere(settings.database_url, subject, revoke=False)
    assert await _eventually(app, token, {"role": "INSPECTOR"}) == {"role": "INSPECTOR"}


async def test_without_a_watch_every_request_reads_the_version() -> None:
    authorizer = Authorizer()
    watch = PolicyWatch("postgresql://127.0.0.1:1/nowhere", authorizer, recheck_seconds=0.1)
    await watch.start()  # cannot listen: no error, and nothing is trusted
    try:
        assert authorizer.watched is False
    finally:
        await watch.stop()
    assert authorizer.watched is False
