"""The jurisdiction tree. Division names and codes are public (the NBS tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import direct
from api.db.models import (
    CountyDesignationRow,
    ExitPlan,
    Jurisdiction,
    RoleAssignment,
    VillageDesignationRow,
    VillageIndicators,
)
from api.db.statements import arrays, keys_in, shaped
from api.db.views import JurisdictionView
from api.domain.register import RegionClass


@shaped
def _by_codes(array: bool) -> Select[Any]:
    table = Jurisdiction.__table__
    return select(table).where(keys_in(table.c.code, "codes", String(), array=array))


async def by_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, JurisdictionView]:
    """Units by code, as rows (api/db/views.py)."""
    rows = await direct.rows(session, _by_codes(arrays(session)), {"codes": list(codes)})
    return {row.code: row for row in rows}


async def children_of(
    session: AsyncSession, parent_codes: Sequence[str]
) -> dict[str, list[Jurisdiction]]:
    rows = await session.scalars(
        select(Jurisdiction)
        .where(Jurisdiction.parent_code.in_(parent_codes))
        .order_by(Jurisdiction.code)
    )
    grouped: dict[str, list[Jurisdiction]] = {code: [] for code in parent_codes}
    for row in rows:
        assert row.parent_code is not None
        grouped[row.parent_code].append(row)
    return grouped


async def roots(session: AsyncSession) -> list[Jurisdiction]:
    rows = await session.scalars(
        select(Jurisdiction).where(Jurisdiction.parent_code.is_(None)).order_by(Jurisdiction.code)
    )
    return list(rows)


async def any_exist(session: AsyncSession) -> bool:
    return await session.scalar(select(Jurisdiction.code).limit(1)) is not None


async def county_region_classes(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, RegionClass]:
    """Region class of each designated poor county among ``codes``."""
    rows = await session.execute(
        select(CountyDesignationRow.county_code, CountyDesignationRow.region_class).where(
            CountyDesignationRow.county_code.in_(codes)
        )
    )
    return {code: RegionClass(region) for code, region in rows}


async def village_designations(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, VillageDesignationRow]:
    rows = await session.scalars(
        select(VillageDesignationRow).where(VillageDesignationRow.village_code.in_(codes))
    )
    return {row.village_code: row for row in rows}


async def county_designations(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, CountyDesignationRow]:
    rows = await session.scalars(
        select(CountyDesignationRow).where(CountyDesignationRow.county_code.in_(codes))
    )
    return {row.county_code: row for row in rows}


async def exit_plans(
    session: AsyncSession, codes: Sequence[str], *, year: int
) -> dict[str, list[ExitPlan]]:
    rows = await session.scalars(
        select(ExitPlan)
        .where(ExitPlan.jurisdiction_code.in_(codes), ExitPlan.year == year)
        .order_by(ExitPlan.jurisdiction_code, ExitPlan.subject_kind)
    )
    grouped: dict[str, list[ExitPlan]] = {code: [] for code in codes}
    for row in rows:
        grouped[row.jurisdiction_code].append(row)
    return grouped


async def village_indicators(
    session: AsyncSession, codes: Sequence[str], *, year: int
) -> dict[str, VillageIndicators | None]:
    rows = await session.scalars(
        select(VillageIndicators).where(
            VillageIndicators.village_code.in_(codes), VillageIndicators.year == year
        )
    )
    found: dict[str, VillageIndicators | None] = dict.fromkeys(codes)
    for row in rows:
        found[row.village_code] = row
    return found


async def holdings_of(session: AsyncSession, subject: str) -> list[RoleAssignment]:
    rows = await session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.subject == subject, RoleAssignment.revoked_at.is_(None))
        .order_by(RoleAssignment.id)
    )
    return list(rows)
