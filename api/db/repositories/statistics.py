"""Aggregates for incidence: registered poor population and rural population."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Household, Member, VillageIndicators
from api.db.repositories.households import member_counts_in, registered_poor_in
from api.db.repositories.scoping import in_subtree


async def populations(
    session: AsyncSession, codes: Sequence[str], *, year: int
) -> dict[str, tuple[int, int]]:
    """(registered poor population, rural population) per unit code, for ``year``.

    One query pair per code length, grouping by the code prefix, whatever the
    number of units asked for.
    """
    result: dict[str, tuple[int, int]] = {code: (0, 0) for code in codes}
    by_length: dict[int, list[str]] = {}
    for code in codes:
        by_length.setdefault(len(code), []).append(code)
    for length, group in by_length.items():
        poor = await _poor(session, group, length=length, year=year)
        rural = await _rural(session, group, length=length, year=year)
        for code in group:
            result[code] = (poor.get(code, 0), rural.get(code, 0))
    return result


async def _poor(
    session: AsyncSession, codes: list[str], *, length: int, year: int
) -> dict[str, int]:
    unit = func.substr(Household.village_code, 1, length)
    query = (
        select(unit, func.count())
        .select_from(Member)
        .join(Household, Household.id == Member.household_id)
        .where(registered_poor_in(year), member_counts_in(year))
        .group_by(unit)
    )
    query = (
        query.where(unit.in_(codes))
        if len(codes) > 1
        else query.where(in_subtree(Household.village_code, codes[0]))
    )
    rows = await session.execute(query)
    return {code: n for code, n in rows}


async def _rural(
    session: AsyncSession, codes: list[str], *, length: int, year: int
) -> dict[str, int]:
    unit = func.substr(VillageIndicators.village_code, 1, length)
    query = (
        select(unit, func.sum(VillageIndicators.rural_population))
        .where(VillageIndicators.year == year)
        .group_by(unit)
    )
    query = (
        query.where(unit.in_(codes))
        if len(codes) > 1
        else query.where(in_subtree(VillageIndicators.village_code, codes[0]))
    )
    rows = await session.execute(query)
    return {code: int(n or 0) for code, n in rows}
