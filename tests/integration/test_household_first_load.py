"""A first load into an empty register: the same result as any import, with the
indexes and constraints built after the COPY on PostgreSQL, and nothing looked up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.db.session import create_engine
from api.domain import register_frame
from api.domain.register_file import HEADERS
from api.services import household_import, tables
from tests.conftest import Database, fresh_database
from tests.register_rows import register_row

VILLAGE = "230231101001"
CONSTRAINTS = """SELECT conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
  WHERE conrelid::regclass::text IN ('households', 'household_members') UNION ALL
  SELECT indexrelid::regclass::text || ':' || pg_get_indexdef(indexrelid) FROM pg_index
  WHERE indrelid::regclass::text IN ('households', 'household_members') ORDER BY 1"""


async def _load(url: str, path: Path) -> tuple[household_import.ImportReport, list[str], int]:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            connection = await session.connection()
            await connection.execute(
                text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code) VALUES "
                    "('23', '省', 'province', NULL), ('2302', '市', 'municipality', '23'), "
                    "('230231', '县', 'county', '2302'), "
                    "('230231101', '镇', 'township', '230231'), "
                    "('230231101001', '村', 'village', '230231101')"
                )
            )
            postgres = connection.dialect.name == "postgresql"
            before = list(await session.scalars(text(CONSTRAINTS))) if postgres else []
            _, frame = tables.read_frame(path)
            parsed = register_frame.parse_frame(
                frame.select(list(register_frame.RAW_SCHEMA)), stripped=True
            )
            report = await household_import.import_households(
                session,
                parsed,
                actor="test",
                now=datetime(2016, 12, 1, tzinfo=UTC),
                may_write=lambda _: True,
                atomic=False,
                dry_run=False,
            )
            after = list(await session.scalars(text(CONSTRAINTS))) if postgres else []
            assert after == before
            members = await session.scalar(select(func.count()).select_from(models.Member))
        return report, after, int(members or 0)
    finally:
        await engine.dispose()


def test_a_first_load_defers_the_indexes_and_keeps_every_check(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(household_import, "FIRST_LOAD", 2)
    rows = [
        register_row("FL-1", VILLAGE, 1),
        register_row("FL-1", VILLAGE, 2, 户主姓名="新户1", 姓名="配偶", 与户主关系="配偶"),
        register_row("FL-2", VILLAGE, 3, 民族=" 满族 "),
        register_row("FL-3", VILLAGE, 4),
        register_row("FL-4", "230231101002", 5),  # no such village
    ]
    path = tmp_path / "first.csv"
    tables.write(path, HEADERS, rows)
    with fresh_database(database.backend, tmp_path, "first") as url:
        report, constraints, members = asyncio.run(_load(url, path))
    assert (report.created, report.rejected, report.written) == (3, 1, True)
    assert [(e.row, e.column) for e in report.errors] == [(6, "行政区划代码")]
    assert members == 4
    if database.backend == "postgresql":
        assert any("uq_household_members_id_number" in c for c in constraints)
        assert any("fk_household_members_household_id_households" in c for c in constraints)
