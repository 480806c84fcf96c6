"""A village's indicators of a year: recorded by the county (its rural population moves
the kept statistics in the same transaction), read by officials over the village.
Allowed, wrong-role and out-of-jurisdiction cases; refused input changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from api.config import Settings
from api.demo.tokens import HEILONGJIANG_VILLAGE, LANSHAN_TOWN
from api.domain.roles import Role
from tests.api.conftest import demo_loaded, serving
from tests.api.test_compiled_reads import bearer
from tests.conftest import Database, fresh_database

VILLAGE = HEILONGJIANG_VILLAGE
COUNTY = (Role.COUNTY_LEADING_GROUP, VILLAGE[:6])
TOWN = (Role.TOWNSHIP_GOVERNMENT, VILLAGE[:9])
COMMITTEE = (Role.VILLAGE_COMMITTEES, VILLAGE)
LANSHAN_COUNTY = (Role.COUNTY_LEADING_GROUP, LANSHAN_TOWN[:6])
LANSHAN = (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)

RECORD = """mutation ($input: RecordVillageIndicatorsInput!) {
  recordVillageIndicators(input: $input) {
    __typename
    ... on VillageIndicatorsSuccess { indicators { ruralPopulation broadband collectiveIncome } }
    ... on ValidationFailedError { path }
    ... on Error { code message } } }"""

READ = """query ($code: String!, $county: String!) {
  village: jurisdiction(code: $code) { indicators(year: 2016) { ruralPopulation broadband
    clinicWithDoctor collectiveIncome } statistics(year: 2016) { ruralPopulation } }
  county: jurisdiction(code: $county) { statistics(year: 2016) { ruralPopulation } } }"""


@pytest.fixture(scope="module")
def indicators_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("vi"), "vi") as url:
        yield url


@pytest.fixture(scope="module")
async def client(
    indicators_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    settings: Settings = await demo_loaded(indicators_url, tmp_path_factory)
    async with serving(settings) as client:
        yield client


def given(**changes: Any) -> dict[str, Any]:
    return {
        "villageCode": VILLAGE,
        "year": 2016,
        "ruralPopulation": 900,
        "hamletRoadPaved": True,
        "broadband": True,
        "radioAndCableTv": True,
        "clinicWithDoctor": False,
        "culturalVenue": True,
        "collectiveIncome": "52000.50",
    } | changes


async def record(
    client: httpx.AsyncClient, holder: tuple[Role, str], **changes: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": RECORD, "variables": {"input": given(**changes)}},
        headers=bearer(holder),
    )
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["recordVillageIndicators"]
    return payload


async def read(client: httpx.AsyncClient, holder: tuple[Role, str]) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": READ, "variables": {"code": VILLAGE, "county": VILLAGE[:6]}},
        headers=bearer(holder),
    )
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_the_county_records_and_the_statistics_move_with_it(
    client: httpx.AsyncClient,
) -> None:
    before = await read(client, COUNTY)
    was = before["village"]["indicators"]["ruralPopulation"]
    county_was = before["county"]["statistics"]["ruralPopulation"]
    assert before["village"]["statistics"]["ruralPopulation"] == was
    answer = await record(client, COUNTY, ruralPopulation=was + 37)
    assert answer == {
        "__typename": "VillageIndicatorsSuccess",
        "indicators": {
            "ruralPopulation": was + 37,
            "broadband": True,
            "collectiveIncome": "52000.50",
        },
    }
    after = await read(client, COUNTY)
    assert after["village"]["indicators"]["clinicWithDoctor"] is False
    assert after["village"]["statistics"]["ruralPopulation"] == was + 37
    assert after["county"]["statistics"]["ruralPopulation"] == county_was + 37
    # The township and the village read them too; a town elsewhere reads nothing.
    assert (await read(client, TOWN))["village"]["indicators"]["ruralPopulation"] == was + 37
    assert (await read(client, COMMITTEE))["village"]["indicators"]["ruralPopulation"] == was + 37
    assert (await read(client, LANSHAN))["village"]["indicators"] is None


async def test_only_the_county_over_the_village_records(client: httpx.AsyncClient) -> None:
    before = await read(client, COUNTY)
    for holder in (TOWN, COMMITTEE):  # wrong role
        answer = await record(client, holder, ruralPopulation=1)
        assert answer["code"] == "NOT_PERMITTED", holder
    answer = await record(client, LANSHAN_COUNTY, ruralPopulation=1)  # out of jurisdiction
    assert answer["code"] == "NOT_FOUND"
    assert await read(client, COUNTY) == before


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"ruralPopulation": -1}, ["ruralPopulation"]),
        ({"ruralPopulation": 100_001}, ["ruralPopulation"]),
        ({"collectiveIncome": "-5"}, ["collectiveIncome"]),
        ({"collectiveIncome": "10.001"}, ["collectiveIncome"]),
        ({"villageCode": VILLAGE[:9]}, ["villageCode"]),
        ({"villageCode": "23023110120x"}, ["villageCode"]),
        ({"year": 1800}, ["year"]),
    ],
)
async def test_refused_input_changes_nothing(
    client: httpx.AsyncClient, changes: dict[str, Any], path: list[str]
) -> None:
    before = await read(client, COUNTY)
    answer = await record(client, COUNTY, **changes)
    assert (answer["__typename"], answer["path"]) == ("ValidationFailedError", path)
    assert await read(client, COUNTY) == before


async def test_indicators_are_read_like_the_statistics(client: httpx.AsyncClient) -> None:
    """Not by integrators (who sync through the change feed) nor evaluators: an error
    says so, as for the statistics; the public reads nothing."""
    response = await client.post(
        "/graphql",
        json={"query": READ, "variables": {"code": VILLAGE, "county": VILLAGE[:6]}},
        headers=bearer((Role.INTEGRATOR, "23")),
    )
    errors = response.json()["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"NOT_PERMITTED"}
    public = await client.post(
        "/graphql", json={"query": READ, "variables": {"code": VILLAGE, "county": VILLAGE[:6]}}
    )
    assert {e["extensions"]["code"] for e in public.json()["errors"]} == {"UNAUTHENTICATED"}
