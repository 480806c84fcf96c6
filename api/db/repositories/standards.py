"""Poverty lines as recorded in the database."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import PovertyStandard
from api.domain.standards import PovertyLine


async def lines_for(session: AsyncSession, *, years: Sequence[int]) -> list[PovertyLine]:
    rows = await session.scalars(select(PovertyStandard).where(PovertyStandard.year.in_(years)))
    return [
        PovertyLine(applies_to=r.applies_to, year=r.year, kind=r.kind, amount=r.amount)
        for r in rows
    ]


async def standards_of_year(session: AsyncSession, *, year: int) -> list[PovertyStandard]:
    rows = await session.scalars(
        select(PovertyStandard)
        .where(PovertyStandard.year == year)
        .order_by(PovertyStandard.applies_to, PovertyStandard.kind)
    )
    return list(rows)
