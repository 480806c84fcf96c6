"""household search: members' names indexed (pg_trgm on PostgreSQL), phones indexed

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 01:00:00+00:00

Members' names compare in code-point order on PostgreSQL (``COLLATE "C"``), so a name's
start is a range on ``ix_household_members_name``; ``ix_household_members_name_trgm``
(pg_trgm, a trusted extension the database owner may create) finds a part of three
characters or more anywhere. ``ix_households_phone`` finds a phone. SQLite gets the two
plain indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PG_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_household_members_name ON household_members (name)",
    "CREATE INDEX IF NOT EXISTS ix_household_members_name_trgm ON household_members "
    "USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_households_phone ON households (phone)",
)
"""IF NOT EXISTS: on a large register an operator builds them first, CONCURRENTLY (the
same statements with CREATE INDEX CONCURRENTLY, docs/deployment.md), and the upgrade
then only changes the column's collation."""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.alter_column(
            "household_members",
            "name",
            type_=sa.String(50, collation="C"),
            existing_type=sa.String(50),
            existing_nullable=False,
        )
        for statement in PG_INDEXES:
            op.execute(statement)
        return
    with op.batch_alter_table("household_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_members_name"), ["name"], unique=False)
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_phone"), ["phone"], unique=False)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_phone"))
    if postgres:
        op.drop_index("ix_household_members_name_trgm", "household_members")
    with op.batch_alter_table("household_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_members_name"))
    if postgres:
        op.alter_column(
            "household_members",
            "name",
            type_=sa.String(50),
            existing_type=sa.String(50, collation="C"),
            existing_nullable=False,
        )
