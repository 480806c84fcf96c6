"""No N+1: a page of households with nested village, county and current application runs
the same number of SQL statements whatever its size.

These count the general path's statements (SQLite, and on PostgreSQL the operations
compiled reads decline), so the app here runs without compiled reads; their one
statement per operation is tests/api/test_compiled_reads.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from api.config import Settings
from api.domain.roles import Role
from tests.api.conftest import token_for

PAGE = """query($first: Int!) { jurisdiction(code: "230231") {
  households(first: $first) { edges { node {
    registryNo headName size(year: 2016) perCapitaNetIncome(year: 2016) exitAttribute phone
    village { name parent { name } } county { name }
    members { name idNumber }
    currentApplication { status currentStage { code } nextStep { action } }
  } } } } }"""


@pytest.fixture
async def counted(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    app = create_app(settings.model_copy(update={"compiled_reads": False}))
    statements: list[str] = []
    async with app.router.lifespan_context(app):

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, statements


async def test_a_50_row_page_runs_as_many_statements_as_a_5_row_page(
    counted: tuple[httpx.AsyncClient, list[str]],
) -> None:
    client, statements = counted
    headers = {"Authorization": f"Bearer {token_for(Role.COUNTY_LEADING_GROUP, '230231')}"}
    sizes = {}
    # Warm the per-process caches (the caller's recorded holding) as a running server has.
    await client.post("/graphql", json={"query": PAGE, "variables": {"first": 1}}, headers=headers)
    for first in (5, 50):
        statements.clear()
        response = await client.post(
            "/graphql", json={"query": PAGE, "variables": {"first": first}}, headers=headers
        )
        body = response.json()
        assert "errors" not in body, body
        assert len(body["data"]["jurisdiction"]["households"]["edges"]) == first
        sizes[first] = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    assert sizes[5] == sizes[50], sizes
    assert sizes[50] <= 12, sizes


async def test_a_household_reads_its_village_county_and_members_with_itself(
    counted: tuple[httpx.AsyncClient, list[str]],
) -> None:
    client, statements = counted
    headers = {"Authorization": f"Bearer {token_for(Role.COUNTY_LEADING_GROUP, '230231')}"}
    members = "members { id name idNumber relation joinedYear leftYear }"
    # The page reads members through their own loader: the reference for node(id:).
    page = await client.post(
        "/graphql",
        json={"query": '{ jurisdiction(code: "230231101200") { households(first: 10) '
              f"{{ edges {{ node {{ id {members} }} }} }} }} }}"},
        headers=headers,
    )  # fmt: skip
    nodes = [e["node"] for e in page.json()["data"]["jurisdiction"]["households"]["edges"]]
    units = """query($village: String!, $county: String!) {
      v: jurisdiction(code: $village) { code name level parentCode }
      c: jurisdiction(code: $county) { code name level parentCode } }"""
    expected = await client.post(
        "/graphql",
        json={"query": units, "variables": {"village": "230231101200", "county": "230231"}},
        headers=headers,
    )
    assert any(len(household["members"]) > 1 for household in nodes)
    for household in nodes:
        statements.clear()
        response = await client.post(
            "/graphql",
            json={
                "query": f"""query($id: ID!) {{ node(id: $id) {{ ... on Household {{ id
                  village {{ code name level parentCode }}
                  county {{ code name level parentCode }} {members} }} }} }}""",
                "variables": {"id": household["id"]},
            },
            headers=headers,
        )
        node = response.json()["data"]["node"]
        assert node == {
            **household,
            "village": expected.json()["data"]["v"],
            "county": expected.json()["data"]["c"],
        }
        # One statement reads the household with its units and members.
        assert len([s for s in statements if "FROM households" in s]) == 1, statements
        assert not [s for s in statements if "FROM jurisdictions" in s], statements
        assert not [s for s in statements if "FROM household_members" in s], statements
