"""``tuopin statistics rebuild`` and the build after an upgrade: whole-database passes
over the register, each in one transaction."""

from __future__ import annotations

from sqlalchemy import exists, select

from api.db.models import Household, UnitStatistics, VillageIndicators
from api.db.session import create_engine, session_factory
from api.services import statistics


async def rebuild(database_url: str) -> int:
    """Recompute every statistics row; returns the households read."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await statistics.rebuild(session)
    finally:
        await engine.dispose()


async def build_if_missing(database_url: str) -> int | None:
    """Build the rows when there are none but there is a register to build them from;
    None when nothing was to do."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            built = await session.scalar(select(exists().where(UnitStatistics.year.is_not(None))))
            source = await session.scalar(
                select(exists(select(Household.id)) | exists(select(VillageIndicators.year)))
            )
            if built or not source:
                return None
            return await statistics.rebuild(session)
    finally:
        await engine.dispose()
