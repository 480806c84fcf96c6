"""Bulk loading: COPY on PostgreSQL, a multi-row INSERT elsewhere, in the caller's
transaction either way."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import models


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
