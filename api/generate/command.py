"""``tuopin generate`` as a process: a progress bar, one transaction, ANALYZE after."""

from __future__ import annotations

import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db.session import create_engine
from api.generate.load import generate
from api.policy_files import standards


async def run_generate(
    settings: Settings, *, households: int, seed: int
) -> tuple[dict[str, int], float]:
    engine = create_engine(settings.database_url)
    started = time.perf_counter()
    try:
        with Progress(
            TextColumn("generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("households", total=households)
            async with AsyncSession(engine) as session, session.begin():
                counts = await generate(
                    session,
                    households=households,
                    seed=seed,
                    policy=standards(),
                    progress=lambda n: bar.advance(task, n),
                )
        seconds = time.perf_counter() - started
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await engine.dispose()
    return counts, seconds
