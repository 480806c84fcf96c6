"""Fields of the register the schema used to hide: a household's second and third causes
of poverty, for its readers; its bank account, only for the township and the county that
pay subsidies into it. Planned and graphql-core answers must agree (``answer``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from strawberry.relay import to_base64

from api.config import Settings
from api.db import models
from api.db.session import create_engine, session_factory
from api.demo.tokens import HEILONGJIANG_VILLAGE, LANSHAN_TOWN
from api.domain.roles import Role
from tests.api.conftest import answer, demo_loaded, serving_both
from tests.api.test_compiled_reads import bearer
from tests.conftest import Database, fresh_database

HOUSEHOLD = """query ($id: ID!) { node(id: $id) { ... on Household {
  registryNo mainCause secondCause thirdCause bankAccount } } }"""


@pytest.fixture(scope="module")
def fields_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("fields"), "fields") as url:
        yield url


@pytest.fixture(scope="module")
async def fields_settings(fields_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await demo_loaded(fields_url, tmp_path_factory)


@pytest.fixture(scope="module")
async def stored(fields_settings: Settings) -> models.Household:
    """A household of the demo village with a second cause and a bank account."""
    engine = create_engine(fields_settings.database_url)
    try:
        async with session_factory(engine)() as session:
            found = await session.scalar(
                select(models.Household)
                .where(
                    models.Household.village_code == HEILONGJIANG_VILLAGE,
                    models.Household.second_cause.is_not(None),
                    models.Household.bank_account.is_not(None),
                )
                .order_by(models.Household.id)
                .limit(1)
            )
    finally:
        await engine.dispose()
    assert found is not None, "the demo village has no household with a second cause"
    return found


@pytest.fixture(scope="module")
async def both(fields_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    async with serving_both(fields_settings) as pair:
        yield pair


async def read(
    both: tuple[httpx.AsyncClient, ...], household: models.Household, holder: tuple[Role, str]
) -> dict[str, Any] | None:
    client, reference = both
    body = await answer(
        client,
        reference,
        HOUSEHOLD,
        {"id": to_base64("Household", household.id)},
        bearer(holder),
    )
    assert "errors" not in body, body
    node: dict[str, Any] | None = body["data"]["node"]
    return node


async def test_causes_are_read_with_the_household(
    both: tuple[httpx.AsyncClient, ...], stored: models.Household
) -> None:
    node = await read(both, stored, (Role.VILLAGE_COMMITTEES, HEILONGJIANG_VILLAGE))
    assert node is not None
    assert node["mainCause"] == stored.main_cause.name
    assert node["secondCause"] == stored.second_cause.name  # type: ignore[union-attr]
    assert node["thirdCause"] == (None if stored.third_cause is None else stored.third_cause.name)


async def test_a_bank_account_only_for_the_township_and_the_county_that_pay_into_it(
    both: tuple[httpx.AsyncClient, ...], stored: models.Household
) -> None:
    # Allowed: the roles that pay subsidies, over the household's township.
    for holder in (
        (Role.TOWNSHIP_GOVERNMENT, HEILONGJIANG_VILLAGE[:9]),
        (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6]),
    ):
        node = await read(both, stored, holder)
        assert node is not None
        assert node["bankAccount"] == stored.bank_account, holder
    # Wrong role: readers of the household that pay nothing see no account, not even masked.
    for holder in (
        (Role.VILLAGE_COMMITTEES, HEILONGJIANG_VILLAGE),
        (Role.RESIDENT_WORK_TEAM, HEILONGJIANG_VILLAGE),
        (Role.MUNICIPAL_LEADING_GROUP, HEILONGJIANG_VILLAGE[:4]),
        (Role.INSPECTOR, "23"),
    ):
        node = await read(both, stored, holder)
        assert node is not None
        assert node["bankAccount"] is None, holder
    # Out of jurisdiction: the paying roles elsewhere do not reach the household at all.
    for holder in (
        (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN),
        (Role.COUNTY_LEADING_GROUP, LANSHAN_TOWN[:6]),
    ):
        assert await read(both, stored, holder) is None, holder
