"""The invariant of the kept statistics: whatever was written, the rows equal what a
rebuild from the register makes. Call it at the end of a test that writes; it rebuilds
inside the test's transaction, which the test's rollback undoes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.services import statistics


async def _rows(session: AsyncSession) -> set[tuple[Any, ...]]:
    found = await session.execute(select(models.UnitStatistics.__table__))
    return {tuple(row) for row in found if any(row[2:])}  # rows of zeros: nothing kept


async def assert_kept_equal_a_rebuild(session: AsyncSession) -> None:
    await session.flush()
    kept = await _rows(session)
    await statistics.rebuild(session)
    rebuilt = await _rows(session)
    assert kept == rebuilt, (sorted(kept - rebuilt)[:5], sorted(rebuilt - kept)[:5])
