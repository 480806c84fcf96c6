"""What a request read is freed when the request ends, by reference counting: loaders and
their load functions refer to each other, and rows they held would otherwise wait for the
cyclic garbage collector, whose passes grow with them (Context.close lets go of them)."""

from __future__ import annotations

import gc
from collections import Counter

import httpx
from starlette.applications import Starlette

from api.domain.income import Figures
from api.domain.roles import Role
from tests.api.conftest import token_for

PAGE = """{ jurisdiction(code: "230231") { households(first: 20) { edges { node {
  registryNo size(year: 2016) perCapitaNetIncome(year: 2016) members { name } } } } } }"""


async def test_a_requests_rows_are_not_left_to_the_cyclic_collector(app: Starlette) -> None:
    headers = {"Authorization": f"Bearer {token_for(Role.COUNTY_LEADING_GROUP, '230231')}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        warm = await client.post("/graphql", json={"query": PAGE}, headers=headers)
        assert len(warm.json()["data"]["jurisdiction"]["households"]["edges"]) == 20
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(3):
                response = await client.post("/graphql", json={"query": PAGE}, headers=headers)
                assert "errors" not in response.json()
            gc.collect()
            left = Counter(type(o) for o in gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert left[Figures] == 0, "a page's figures were left to the cyclic collector"
    rows = sum(n for kind, n in left.items() if kind.__name__ in {"Row", "DirectRow"})
    assert rows == 0, f"{rows} rows were left to the cyclic collector"
