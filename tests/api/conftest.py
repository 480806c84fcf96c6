from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.domain.roles import Principal, Role
from tests.conftest import Database

KEY = "test-signing-key-" + "x" * 32


@pytest.fixture(scope="session")
def settings(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    state: Path = tmp_path_factory.mktemp("state")
    return Settings(database_url=database.url, state_dir=state, dev_signing_key=SecretStr(KEY))


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tuopin") as client:
            yield client


def token_for(role: Role, jurisdiction: str) -> str:
    principal = Principal(subject=f"test:{role}", role=role, jurisdiction=jurisdiction)
    return issue_dev_token(principal, key=KEY, ttl=timedelta(minutes=10))


GraphQL = Callable[..., Any]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    async def run(
        query: str, *, as_: tuple[Role, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        headers = {} if as_ is None else {"Authorization": f"Bearer {token_for(*as_)}"}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run
