"""PageInfo's two Relay fields beside hasNextPage and endCursor: startCursor (the first
row's cursor) and hasPreviousPage (true for a page asked for after a cursor), on every
connection and page; asked for, a planned read goes to the general path, whose answer
must be graphql-core's (``answer``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api.config import Settings
from api.demo.tokens import HEILONGJIANG_VILLAGE
from api.domain.roles import Role
from tests.api.conftest import answer, demo_loaded, serving_both
from tests.api.test_compiled_reads import bearer
from tests.conftest import Database, fresh_database

COUNTY = (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6])
PAGE = "pageInfo { hasNextPage endCursor hasPreviousPage startCursor }"
QUERIES = {
    "households": (
        'query ($after: String) { jurisdiction(code: "VILLAGE") { households(first: 2, '
        "after: $after) { edges { cursor } PAGE } } }",
        lambda d: d["jurisdiction"]["households"],
    ),
    "searchHouseholds": (
        'query ($after: String) { searchHouseholds(query: "王", first: 2, after: $after) '
        "{ edges { cursor } PAGE } }",
        lambda d: d["searchHouseholds"],
    ),
    "applications": (
        "query ($after: String) { applications(first: 2, after: $after) { edges { cursor } "
        "PAGE } }",
        lambda d: d["applications"],
    ),
}


@pytest.fixture(scope="module")
def pages_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("pages"), "pages") as url:
        yield url


@pytest.fixture(scope="module")
async def both(
    pages_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    settings: Settings = await demo_loaded(pages_url, tmp_path_factory)
    async with serving_both(settings) as pair:
        yield pair


@pytest.mark.parametrize("name", list(QUERIES))
async def test_start_cursor_and_has_previous_page(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], name: str
) -> None:
    template, connection = QUERIES[name]
    query = template.replace("PAGE", PAGE).replace("VILLAGE", HEILONGJIANG_VILLAGE)
    client, reference = both

    async def page(after: str | None) -> dict[str, Any]:
        body = await answer(client, reference, query, {"after": after}, bearer(COUNTY))
        assert "errors" not in body, body
        found: dict[str, Any] = connection(body["data"])
        return found

    first = await page(None)
    info = first["pageInfo"]
    assert first["edges"], f"{name}: the demo gives it rows"
    assert info["hasPreviousPage"] is False
    assert info["startCursor"] == first["edges"][0]["cursor"]
    assert info["endCursor"] == first["edges"][-1]["cursor"]
    assert info["hasNextPage"], f"{name}: the demo gives it a second page"
    second = await page(info["endCursor"])
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]
    assert second["pageInfo"]["startCursor"] != info["startCursor"]
