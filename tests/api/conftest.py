from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.db.session import create_engine
from api.demo.command import load_demo
from api.domain.roles import Principal, Role, check_holding
from api.errors import ValidationFailed
from api.resolvers.context import Clock, utc_now
from api.services import access
from tests.conftest import IN_CI, Database, _pg_unreachable, fresh_database

KEY = "test-signing-key-" + "x" * 32


# Units where the API tests hold roles; every valid (role, unit) pair is recorded.
TEST_UNITS = [
    "",
    "23",
    "2302",
    "230231",
    "230223",
    "230231101",
    "230231101200",
    "230231102200",
    "37",
    "3713",
    "371302",
    "371302101",
    "371302101200",
]


def test_subject(role: Role, jurisdiction: str) -> str:
    return f"test:{role}:{jurisdiction or 'national'}"


async def _record_holdings(url: str) -> None:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            for role in Role:
                for code in TEST_UNITS:
                    try:
                        check_holding(role, code)
                    except ValidationFailed:
                        continue
                    await access.grant_bootstrap(
                        session,
                        subject=test_subject(role, code),
                        role=role,
                        jurisdiction=code,
                        now=datetime.now(UTC),
                    )
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def settings(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    asyncio.run(_record_holdings(database.url))
    state: Path = tmp_path_factory.mktemp("state")
    return Settings(database_url=database.url, state_dir=state, dev_signing_key=SecretStr(KEY))


class StoppedClock:
    """A clock the test moves by hand (``clock.now = ...``), so notice periods can run."""

    def __init__(self) -> None:
        self.now = datetime(2016, 11, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def serving(
    settings: Settings, *, clock: Clock = utc_now, planned: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The app running (its lifespan entered), with a client; ``planned=False`` runs the
    graphql-core reference that reads are compared with."""
    app = create_app(settings, clock=clock, planned=planned)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


@asynccontextmanager
async def serving_both(
    settings: Settings, *, clock: Clock = utc_now
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The app and its graphql-core reference, both running: (client, reference)."""
    async with (
        serving(settings, clock=clock) as client,
        serving(settings, clock=clock, planned=False) as reference,
    ):
        yield client, reference


@contextmanager
def own_postgres_database(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[str]:
    """A PostgreSQL database of a test module's own (skipped without a server, failing
    under CI=true)."""
    problem = _pg_unreachable()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (CI=true: PostgreSQL tests must run)")
        pytest.skip(problem)
    with fresh_database("postgresql", tmp_path_factory.mktemp(name), name) as url:
        yield url


async def demo_loaded(url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for ``url``, with the demo (its scenes included) loaded into it."""
    settings = own_settings(url, tmp_path_factory)
    assert await load_demo(settings, if_empty=False, seed=2016) is not None
    return settings


def own_settings(url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a test module's own database."""
    return Settings(
        database_url=url, state_dir=tmp_path_factory.mktemp("s"), dev_signing_key=SecretStr(KEY)
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """An app of its own, its lifespan entered (its watch listening, on PostgreSQL)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(settings) as client:
        yield client


@pytest.fixture(scope="session")
async def reference_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same app executing on graphql-core alone: every query the tests send is
    answered by both, and the answers must be the same (see ``gql``)."""
    async with serving(settings, planned=False) as client:
        yield client


def token_for(role: Role, jurisdiction: str) -> str:
    principal = Principal(
        subject=test_subject(role, jurisdiction), role=role, jurisdiction=jurisdiction
    )
    return issue_dev_token(principal, key=KEY, ttl=timedelta(minutes=10))


GraphQL = Callable[..., Any]


async def answer(
    client: httpx.AsyncClient,
    reference: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str],
) -> dict[str, Any]:
    """The response body to a query (status 200). A read is answered again by
    graphql-core's executor (``reference``): planned execution must give the very same
    data and errors."""
    request = {"query": query, "variables": variables}
    response = await client.post("/graphql", json=request, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if not query.lstrip().startswith("mutation"):
        again = await reference.post("/graphql", json=request, headers=headers)
        assert again.json() == body, "planned execution differs from graphql-core"
    return body


@pytest.fixture
def gql(client: httpx.AsyncClient, reference_client: httpx.AsyncClient) -> GraphQL:
    async def run(
        query: str, *, as_: tuple[Role, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        headers = {} if as_ is None else {"Authorization": f"Bearer {token_for(*as_)}"}
        return await answer(client, reference_client, query, variables, headers)

    return run
