"""jurisdictions notify every change (the division cache listens)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:00:00+00:00

Every statement that changes ``jurisdictions`` (INSERT, UPDATE, DELETE, TRUNCATE, COPY),
by the application or by hand, is announced on the ``tuopin_divisions`` channel at commit;
each process then empties its cache of units (api/db/division_cache.py), which it trusts
only while this trigger is there and enabled ALWAYS. PostgreSQL only:
SQLite has no notifications, and there units are always read from the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION jurisdictions_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('tuopin_divisions', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER jurisdictions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON jurisdictions FOR EACH STATEMENT EXECUTE FUNCTION jurisdictions_notify()"
    )
    # Fires for a replica's writes too (session_replication_role = replica, as
    # pg_restore --disable-triggers and logical replication apply them).
    op.execute("ALTER TABLE jurisdictions ENABLE ALWAYS TRIGGER jurisdictions_notify")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER jurisdictions_notify ON jurisdictions")
    op.execute("DROP FUNCTION jurisdictions_notify()")
