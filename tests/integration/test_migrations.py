"""The models and the migrations describe the same schema, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.base import Base, on_dialect


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": on_dialect(connection.dialect.name)},
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []


async def test_a_model_change_without_a_migration_is_detected(engine: AsyncEngine) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    metadata = MetaData()
    for table in Base.metadata.tables.values():
        copied = table.to_metadata(metadata)
        # to_metadata does not copy an index's ddl_if (the trigram index is PostgreSQL's).
        kept = {index.name: index for index in table.indexes}
        for index in copied.indexes:
            index._ddl_if = kept[index.name]._ddl_if
    Table("unmigrated", metadata, Column("id", Integer, primary_key=True))

    def diff(connection: Connection) -> list[Any]:
        include = on_dialect(connection.dialect.name)
        context = MigrationContext.configure(connection, opts={"include_object": include})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert [entry[0] for entry in found] == ["add_table"]
