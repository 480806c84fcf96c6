"""searchHouseholds: by a member's name (a part), a full ID number or a full phone, inside
the viewer's jurisdiction, numbers shown as the viewer may see them. On the demo's
register, both databases; what to look for is read from the register itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.config import Settings
from api.db import models
from api.db.repositories import household_search
from api.db.session import create_engine, session_factory
from api.demo.tokens import HEILONGJIANG_VILLAGE, LANSHAN_TOWN
from api.domain.roles import Role
from tests.api.conftest import demo_loaded, serving
from tests.api.test_compiled_reads import bearer
from tests.conftest import Database, fresh_database

VILLAGE = HEILONGJIANG_VILLAGE  # 革新村, 三道镇, 拜泉县, 齐齐哈尔市
COMMITTEE = (Role.VILLAGE_COMMITTEES, VILLAGE)
"""Sees its households' ID numbers and phones masked: its jurisdiction does not contain
their township (api/resolvers/privacy.py)."""
COUNTY = (Role.COUNTY_LEADING_GROUP, VILLAGE[:6])
CITY = (Role.MUNICIPAL_LEADING_GROUP, VILLAGE[:4])
LANSHAN = (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)
NATION = (Role.STATE_COUNCIL_LEADING_GROUP, "")
EVALUATOR = (Role.THIRD_PARTY_EVALUATOR, "230223")
"""Reads only what it is assigned."""

SEARCH = """query ($q: String!, $under: String, $first: Int, $after: String) {
  searchHouseholds(query: $q, under: $under, first: $first, after: $after) {
    edges { cursor node { registryNo villageCode headName phone
      members { name idNumber } } }
    pageInfo { hasNextPage endCursor } } }"""


@dataclass(frozen=True)
class Sought:
    registry_no: str
    name: str
    """A member's name of three characters or more."""
    id_number: str
    phone: str


@pytest.fixture(scope="module")
def search_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("search"), "search") as url:
        yield url


@pytest.fixture(scope="module")
async def search_settings(search_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await demo_loaded(search_url, tmp_path_factory)


@pytest.fixture(scope="module")
async def sought(search_settings: Settings) -> Sought:
    """A household of the village with a phone and a member of a three-character name."""
    engine = create_engine(search_settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(models.Household.registry_no, models.Household.phone, models.Member)
                .join(models.Member, models.Member.household_id == models.Household.id)
                .where(
                    models.Household.village_code == VILLAGE, models.Household.phone.is_not(None)
                )
                .order_by(models.Household.id, models.Member.id)
            )
            for registry_no, phone, member in rows:
                if len(member.name) >= 3:
                    return Sought(registry_no, member.name, member.id_number, phone)
    finally:
        await engine.dispose()
    raise AssertionError("the demo village has no member with a three-character name")


@pytest.fixture(scope="module")
async def client(search_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(search_settings) as client:
        yield client


async def search(
    client: httpx.AsyncClient, holder: tuple[Role, str] | None, q: str, **more: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": SEARCH, "variables": {"q": q, **more}},
        headers={} if holder is None else bearer(holder),
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def found(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body["errors"]
    return [e["node"]["registryNo"] for e in body["data"]["searchHouseholds"]["edges"]]


def refused(body: dict[str, Any]) -> tuple[str, list[str]]:
    (error,) = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("inputPath", [])


async def test_a_name_part_finds_the_household_in_the_viewers_jurisdiction_only(
    client: httpx.AsyncClient, sought: Sought
) -> None:
    for holder in (COMMITTEE, COUNTY, CITY):
        assert sought.registry_no in found(await search(client, holder, sought.name)), holder
    # Three characters or more match anywhere in a name: the name's last three.
    assert sought.registry_no in found(await search(client, COMMITTEE, sought.name[-3:]))
    # Out of jurisdiction: a town in another province finds nothing of it.
    assert sought.registry_no not in found(await search(client, LANSHAN, sought.name))
    # Wrong role: an evaluator reads only what it is assigned; the public nothing at all.
    assert found(await search(client, EVALUATOR, sought.name)) == []
    assert refused(await search(client, None, sought.name))[0] == "UNAUTHENTICATED"


async def test_a_short_part_matches_the_start_of_a_name_in_pages(
    client: httpx.AsyncClient, sought: Sought
) -> None:
    surname = sought.name[0]
    seen: list[str] = []
    after = None
    while True:
        body = await search(client, COMMITTEE, surname, first=3, after=after)
        page = found(body)
        seen += page
        info = body["data"]["searchHouseholds"]["pageInfo"]
        for edge in body["data"]["searchHouseholds"]["edges"]:
            names = [m["name"] for m in edge["node"]["members"]]
            assert any(n.startswith(surname) for n in names), names
            assert edge["node"]["villageCode"] == VILLAGE
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert sought.registry_no in seen
    assert len(seen) == len(set(seen))
    everything = found(await search(client, COMMITTEE, surname, first=100))
    assert seen == everything  # pages walk the one (village, id) order


async def test_numbers_are_matched_whole_by_those_who_see_them_in_full(
    client: httpx.AsyncClient, sought: Sought
) -> None:
    full = await search(client, COUNTY, sought.id_number)
    assert found(full) == [sought.registry_no]
    node = full["data"]["searchHouseholds"]["edges"][0]["node"]
    assert sought.id_number in [m["idNumber"] for m in node["members"]]
    assert node["phone"] == sought.phone
    assert found(await search(client, CITY, sought.id_number.lower())) == [sought.registry_no]
    spaced = f"+86 {sought.phone[:3]}-{sought.phone[3:7]}-{sought.phone[7:]}"
    assert found(await search(client, CITY, spaced)) == [sought.registry_no]
    assert found(await search(client, NATION, sought.phone)) == [sought.registry_no]
    # Wrong role for numbers: the village committee sees them masked, so a search by a
    # whole number would let it guess the masked digits. It searches by name.
    for number in (sought.id_number, sought.phone):
        assert refused(await search(client, COMMITTEE, number)) == ("NOT_PERMITTED", [])
    assert sought.registry_no in found(await search(client, COMMITTEE, sought.name))
    # Out of jurisdiction: nothing.
    assert found(await search(client, LANSHAN, sought.id_number)) == []
    assert found(await search(client, LANSHAN, sought.phone)) == []


async def test_the_whole_country_searches_without_under(
    client: httpx.AsyncClient, sought: Sought
) -> None:
    assert sought.registry_no in found(await search(client, NATION, sought.name))
    assert sought.registry_no in found(await search(client, NATION, sought.name, under=VILLAGE))


@pytest.mark.parametrize(
    ("q", "more", "path"),
    [
        ("", {}, ["query"]),
        ("   ", {}, ["query"]),
        ("230231", {}, ["query"]),  # a part of a number: never
        ("1394567", {}, ["query"]),
        ("23023119800101002", {}, ["query"]),  # 17 digits
        ("230231198001010021", {}, ["query"]),  # a wrong check digit (or no such date)
        ("王%", {}, ["query"]),
        ("...", {}, ["query"]),  # separators alone: nothing for an index to look up
        (" '王", {}, ["query"]),
        ("x" * 21, {}, ["query"]),
        ("王", {"under": "23x"}, ["under"]),
        ("王", {"first": 0}, ["first"]),
        ("王", {"first": 101}, ["first"]),
    ],
)
async def test_a_search_that_means_nothing_is_refused(
    client: httpx.AsyncClient, q: str, more: dict[str, Any], path: list[str]
) -> None:
    code, where = refused(await search(client, COUNTY, q, **more))
    assert (code, where) == ("VALIDATION_FAILED", path)


async def test_under_narrows_and_never_widens(client: httpx.AsyncClient, sought: Sought) -> None:
    assert sought.registry_no in found(await search(client, COUNTY, sought.name, under=VILLAGE))
    assert found(await search(client, COUNTY, sought.name, under=VILLAGE[:9] + "999")) == []
    # A unit outside the viewer's jurisdiction adds nothing to what it may see.
    assert found(await search(client, COMMITTEE, sought.name[0], under="37")) == []


async def test_a_dense_start_is_walked_and_finds_the_same(
    client: httpx.AsyncClient, sought: Sought, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start many names share is walked in order instead of looked up first: the same
    households, in the same order."""
    surname = sought.name[0]
    looked_up = found(await search(client, COUNTY, surname, first=100))
    monkeypatch.setattr(household_search, "SPARSE", 1)
    assert found(await search(client, COUNTY, surname, first=100)) == looked_up
    assert sought.registry_no in looked_up


async def test_a_long_walk_ends_a_page_short_and_goes_on_from_there(
    client: httpx.AsyncClient, sought: Sought, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A common start walks at most WALK households a page: a page may come back short,
    with hasNextPage, and following endCursor finds the rest, in order, once each."""
    surname = sought.name[0]
    looked_up = found(await search(client, COUNTY, surname, first=100))
    monkeypatch.setattr(household_search, "SPARSE", 1)
    monkeypatch.setattr(household_search, "WALK", 3)
    seen: list[str] = []
    after = None
    for _ in range(2_000):
        body = await search(client, COUNTY, surname, first=2, after=after)
        page = found(body)
        assert len(page) <= 2
        seen += page
        info = body["data"]["searchHouseholds"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == looked_up
