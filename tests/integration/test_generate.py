"""`tuopin generate`: national-shaped, deterministic, valid, all or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.db.session import create_engine
from api.domain.idnumber import parse_id_number
from api.errors import ValidationFailed
from api.generate import rows as r
from api.generate.load import generate
from api.generate.shape import units
from api.policy_files import standards
from api.services import registry
from tests.conftest import Database, fresh_database

HOUSEHOLDS = 3_000


def test_the_shape_is_national_and_the_rows_are_deterministic() -> None:
    def draw(seed: int) -> r.Batch:
        batch, next_id = r.Batch(), 1
        for county_units, villages in units(HOUSEHOLDS, seed):
            next_id = r.county_rows(batch, seed, county_units, villages, next_id)
        return batch

    first, again, other = draw(7), draw(7), draw(8)
    assert first.tables == again.tables
    assert first.tables["household_members"] != other.tables["household_members"]
    assert first.households == HOUSEHOLDS == len(first.tables["households"])
    villages = first.tables["village_designations"]
    assert 120 * len(villages) <= HOUSEHOLDS <= 340 * len(villages)
    ids = [row[2] for row in first.tables["household_members"]]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parse_id_number(value)  # every one valid, check digit included
    levels = {row[2] for row in first.tables["jurisdictions"]}
    assert levels == {"province", "municipality", "county", "township", "village"}


def test_provinces_fill_in_order_beyond_one_province() -> None:
    provinces = [u.code for new, _ in units(1_500_000, 1) for u in new if u.level == "province"]
    assert provinces == ["23", "52"]
    with pytest.raises(ValueError, match="at most"):
        next(units(10**9, 1))


async def _generate(url: str, seed: int) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            return await generate(session, households=HOUSEHOLDS, seed=seed, policy=standards())
    finally:
        await engine.dispose()


async def _check(url: str) -> None:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session:
            count = await session.scalar(select(func.count()).select_from(models.Household))
            assert count == HOUSEHOLDS
            top = await session.scalar(select(func.max(models.Household.id)))
            assert top == HOUSEHOLDS
            village = await session.scalar(
                select(models.VillageDesignationRow.village_code).limit(1)
            )
            assert village is not None
            found = await registry.incidences(
                session, [village], year=r.YEAR, scope=_everything(), policy=standards()
            )
            assert found[village] is not None
            if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
                # The indexes and constraints dropped for the COPY are all back.
                names = set(
                    await session.scalars(
                        text(
                            "SELECT indexname FROM pg_indexes UNION "
                            "SELECT conname FROM pg_constraint"
                        )
                    )
                )
                assert {
                    "uq_household_members_id_number",
                    "ix_household_members_household_id",
                    "ix_households_village_code_id",
                    "uq_households_registry_no",
                    "fk_household_members_household_id_households",
                    "fk_income_records_household_id_households",
                } <= names
    finally:
        await engine.dispose()


def _everything():  # type: ignore[no-untyped-def]
    from api.domain.jurisdictions import Scope

    return Scope.all()


def test_generate_loads_everything_once_on_each_backend(database: Database, tmp_path: Path) -> None:
    with fresh_database(database.backend, tmp_path, "generate") as url:
        counts = asyncio.run(_generate(url, seed=3))
        assert counts["households"] == HOUSEHOLDS
        assert counts["household_members"] > 2 * HOUSEHOLDS
        asyncio.run(_check(url))
        with pytest.raises(ValidationFailed, match="already loaded"):
            asyncio.run(_generate(url, seed=3))
