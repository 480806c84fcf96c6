"""decision records chained by hash, and insert-only

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:00:00+00:00

``chain_entries`` holds one entry per decision fact (api/domain/chain.py). On
PostgreSQL ``chain_append(jsonb)`` appends entries under a transaction-scoped advisory
lock, reading the heads with fresh snapshots after taking it, so a statement that
writes a record can chain it too. Triggers make the chain and the decision tables
insert-only (UPDATE, DELETE and, on PostgreSQL, TRUNCATE refused); an objection's
resolution and a spot-check subject's finding are written once, from NULL, and nothing
else of those rows changes. Records written before this revision are chained here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

import api.db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSERT_ONLY = (
    "chain_entries",
    "stage_records",
    "evidence",
    "spot_checks",
    "evaluation_assignments",
    "sync_acks",
)
WRITE_ONCE = {
    # table: (the column that, once set, closes the row; the columns that never change)
    "objections": ("outcome", ("application_id", "stage", "content", "raised_by", "raised_at")),
    "spot_check_subjects": (
        "result",
        ("spot_check_id", "subject_key", "application_id", "unit_code", "sample_rank"),
    ),
}
# 7238100013: the advisory lock of chain appends (any constant of our own).
APPEND = """
CREATE FUNCTION chain_append(items jsonb) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  item jsonb;
  prev_g text;
  prev_a text;
  app bigint;
  h text;
  genesis constant text := repeat('0', 64);
BEGIN
  PERFORM pg_advisory_xact_lock(7238100013);
  SELECT entry_sha256 INTO prev_g FROM chain_entries ORDER BY seq DESC LIMIT 1;
  prev_g := coalesce(prev_g, genesis);
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    app := (item->>'application_id')::bigint;
    prev_a := NULL;
    IF app IS NOT NULL THEN
      SELECT entry_sha256 INTO prev_a FROM chain_entries
        WHERE application_id = app ORDER BY seq DESC LIMIT 1;
    END IF;
    prev_a := coalesce(prev_a, genesis);
    h := encode(sha256(convert_to(concat_ws(E'\\n', prev_g, prev_a, item->>'fact',
           item->>'record_id', item->>'content_sha256'), 'UTF8')), 'hex');
    INSERT INTO chain_entries
      (fact, record_id, application_id, content, content_sha256, prev_app, prev_global,
       entry_sha256)
    VALUES (item->>'fact', (item->>'record_id')::bigint, app, item->>'content',
            item->>'content_sha256', prev_a, prev_g, h);
    prev_g := h;
  END LOOP;
  RETURN prev_g;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "chain_entries",
        sa.Column("seq", api.db.types.big_id(), nullable=False),
        sa.Column("fact", sa.String(length=40), nullable=False),
        sa.Column("record_id", api.db.types.big_id(), nullable=False),
        sa.Column("application_id", api.db.types.big_id(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_app", sa.String(length=64), nullable=False),
        sa.Column("prev_global", sa.String(length=64), nullable=False),
        sa.Column("entry_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_chain_entries")),
    )
    op.create_index(
        "ix_chain_entries_application_id_seq", "chain_entries", ["application_id", "seq"]
    )
    op.create_index("ix_chain_entries_fact_record_id", "chain_entries", ["fact", "record_id"])
    postgresql = op.get_context().dialect.name == "postgresql"
    if postgresql:
        op.execute(APPEND)
        op.execute(
            "CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '% is insert-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
        )
    for table in INSERT_ONLY:
        _insert_only(table, postgresql=postgresql)
    for table, (closing, fixed) in WRITE_ONCE.items():
        _write_once(table, closing, fixed, postgresql=postgresql)
    # Records from before the chain: chained now, so that verify holds from here on.
    from api.db.chain import chain_existing

    with Session(bind=op.get_bind()) as session:
        chain_existing(session)
        session.flush()


def _insert_only(table: str, *, postgresql: bool) -> None:
    if postgresql:
        op.execute(
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is insert-only: {event} refused'); END"
        )


def _write_once(table: str, closing: str, fixed: Sequence[str], *, postgresql: bool) -> None:
    message = f"{table} rows are written once: {closing} is final and the rest never changes"
    if postgresql:
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in fixed)
        op.execute(
            f"CREATE FUNCTION {table}_write_once() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP = 'DELETE' OR OLD.{closing} IS NOT NULL OR {changed} THEN "
            f"RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_write_once BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_write_once()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in fixed)
    op.execute(
        f"CREATE TRIGGER {table}_write_once BEFORE UPDATE ON {table} "
        f"WHEN OLD.{closing} IS NOT NULL OR {changed} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in INSERT_ONLY:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_insert_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
    for table in WRITE_ONCE:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_write_once ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP FUNCTION {table}_write_once()")
        else:
            op.execute(f"DROP TRIGGER {table}_write_once")
            op.execute(f"DROP TRIGGER {table}_no_delete")
    if postgresql:
        op.execute("DROP FUNCTION refuse_change()")
        op.execute("DROP FUNCTION chain_append(jsonb)")
    op.drop_index("ix_chain_entries_fact_record_id", table_name="chain_entries")
    op.drop_index("ix_chain_entries_application_id_seq", table_name="chain_entries")
    op.drop_table("chain_entries")
