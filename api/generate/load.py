"""``tuopin generate``: national-shaped synthetic data, loaded by COPY on PostgreSQL.

Everything goes in one transaction: all of it, or none. Rows are produced county by
county and flushed in batches, so memory stays flat at any size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db import models
from api.db.bulk import defer_indexes, load_rows
from api.domain.register import StandardKind
from api.domain.rules import StandardsPolicy
from api.errors import ValidationFailed
from api.generate import rows as r
from api.generate.shape import units
from api.services import statistics

FLUSH_EVERY = 50_000  # households
Progress = Callable[[int], None]


async def generate(
    session: AsyncSession,
    *,
    households: int,
    seed: int,
    policy: StandardsPolicy,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generate and load; returns rows per table. The caller commits."""
    if households < 1:
        raise ValidationFailed("--households must be at least 1", path=("households",))
    connection = await session.connection()
    first = next(units(households, seed))[0]
    if await session.get(models.Jurisdiction, first[-1].code) is not None:
        raise ValidationFailed(
            "generated data is already loaded here; generate into a fresh database"
        )
    await _standards(session, policy)
    last = await session.scalar(select(func.coalesce(func.max(models.Household.id), 0)))
    next_id = int(last or 0) + 1
    postgres = connection.dialect.name == "postgresql"
    deferred = await defer_indexes(connection, BULK_TABLES) if postgres and next_id == 1 else []
    counts = dict.fromkeys(r.ORDER, 0)
    counties = units(households, seed)
    first_id = next_id

    def produce() -> r.Batch:
        """The next batch of counties (empty at the end); runs in a thread, so the
        database digests one batch while Python draws the next."""
        nonlocal next_id
        batch = r.Batch()
        for county_units, villages in counties:
            next_id = r.county_rows(batch, seed, county_units, villages, next_id)
            if batch.households >= FLUSH_EVERY:
                break
        return batch

    batch = await asyncio.to_thread(produce)
    while batch.households:
        upcoming = asyncio.create_task(asyncio.to_thread(produce))
        try:
            await _flush(connection, batch, counts, progress)
        finally:
            batch = await upcoming
    assert next_id - first_id == households
    for statement in deferred:
        await connection.execute(text(statement))
    if postgres:
        await connection.execute(
            text("SELECT setval(pg_get_serial_sequence('households', 'id'), :last)"),
            {"last": next_id - 1},
        )
    await statistics.rebuild(session)
    return counts


BULK_TABLES = ("households", "household_members", "income_records", "assessments")


async def _standards(session: AsyncSession, policy: StandardsPolicy) -> None:
    have = set(
        await session.scalars(
            select(models.PovertyStandard.year).where(
                models.PovertyStandard.applies_to == "",
                models.PovertyStandard.kind == StandardKind.NATIONAL,
            )
        )
    )
    for line in policy.national_lines:
        if line.year not in have:
            session.add(
                models.PovertyStandard(
                    applies_to="",
                    year=line.year,
                    kind=StandardKind.NATIONAL,
                    amount=line.amount,
                    source=policy.national_source,
                    note=None,
                )
            )
    await session.flush()


async def _flush(
    connection: AsyncConnection,
    batch: r.Batch,
    counts: dict[str, int],
    progress: Progress | None,
) -> None:
    for name in r.ORDER:
        rows = batch.tables[name]
        await load_rows(connection, name, r.COLUMNS[name], rows)
        counts[name] += len(rows)
    if progress:
        progress(batch.households)
