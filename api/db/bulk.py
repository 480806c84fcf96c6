"""Bulk loading: COPY on PostgreSQL, a multi-row INSERT elsewhere, in the caller's
transaction either way. Tables of values (polars) go to COPY as CSV, a slice at a
time, written in a thread while the server reads the slice before."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Sequence
from enum import Enum
from typing import Any

import polars as pl
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import models

COPY_SLICE = 50_000  # rows per CSV message


async def load_rows(
    connection: AsyncConnection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Append ``rows`` (values in ``columns`` order) to ``table``."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        assert raw.driver_connection is not None
        records = [tuple(_stored(v) for v in row) for row in rows]
        await raw.driver_connection.copy_records_to_table(
            table, records=records, columns=list(columns)
        )
        return
    # Through SQLAlchemy, so column types (money in fen on SQLite) apply.
    await connection.execute(
        insert(models.Household.metadata.tables[table]),
        [dict(zip(columns, row, strict=True)) for row in rows],
    )


def _stored(value: Any) -> Any:
    """COPY bypasses SQLAlchemy's types: enums go in as their stored text."""
    return value.value if isinstance(value, Enum) else value


async def _driver(connection: AsyncConnection) -> Any:
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None
    return raw.driver_connection


async def reserve_ids(connection: AsyncConnection, table: str, count: int) -> list[int]:
    """``count`` fresh ids from ``table``'s id sequence (PostgreSQL)."""
    if count == 0:
        return []
    driver = await _driver(connection)
    sequence = await driver.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
    ids = await driver.fetchval(
        "SELECT array_agg(nextval($1::regclass)) FROM generate_series(1, $2)", sequence, count
    )
    return list(ids)


def _csv(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_csv(out, include_header=False)
    return out.getvalue()


async def copy_frame(
    connection: AsyncConnection,
    table: str,
    frame: pl.DataFrame,
    *,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Append a table of stored values (columns named as ``table``'s; text, integers,
    booleans, nulls) by COPY ... CSV on PostgreSQL."""
    if not frame.height:
        return

    async def slices() -> AsyncIterator[bytes]:
        for start in range(0, frame.height, COPY_SLICE):
            part = frame.slice(start, COPY_SLICE)
            yield await asyncio.to_thread(_csv, part)
            if progress:
                progress(part.height)

    await (await _driver(connection)).copy_to_table(
        table, source=slices(), columns=list(frame.columns), format="csv"
    )


async def defer_indexes(connection: AsyncConnection, tables: Sequence[str]) -> list[str]:
    """Drop the tables' secondary indexes, unique and foreign-key constraints, returning
    the statements that build them again after a load: one pass over loaded data is far
    cheaper than maintaining them row by row, as pg_restore does. It takes the tables
    (and those their keys refer to) exclusively, inside the caller's transaction: use
    it on empty tables only."""
    names = {"tables": list(tables)}
    constraints = (
        await connection.execute(
            text(
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text = ANY(:tables) "
                "AND contype IN ('f', 'u') ORDER BY contype"
            ),
            names,
        )
    ).all()
    owned = {name for _, name, _, _ in constraints}
    found = (
        await connection.execute(
            text(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(:tables) "
                "AND NOT i.indisprimary"
            ),
            names,
        )
    ).all()
    indexes = [(str(name), str(definition)) for name, definition in found if name not in owned]
    for table, name, _, _ in constraints:  # foreign keys first ('f' sorts before 'u')
        await connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        await connection.execute(text(f'DROP INDEX "{name}"'))
    rebuild = [definition for _, definition in indexes]
    rebuild += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, kind, definition in sorted(constraints, key=lambda c: c[2] == "f")
    ]
    return rebuild
