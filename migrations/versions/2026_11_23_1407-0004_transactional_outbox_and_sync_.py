"""transactional outbox and sync acknowledgments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:07:01.517018+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_key", sa.String(length=32), nullable=False),
        sa.Column(
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_events_subject", ["subject_kind", "subject_key", "position"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_events_unit_code_position", ["unit_code", "position"], unique=False
        )

    op.create_table(
        "outbox_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_state")),
    )
    op.create_table(
        "sync_acks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["position"],
            ["outbox_events.position"],
            name=op.f("fk_sync_acks_position_outbox_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_acks")),
    )
    with op.batch_alter_table("sync_acks", schema=None) as batch_op:
        batch_op.create_index("ix_sync_acks_position", ["position"], unique=False)

    op.execute("INSERT INTO outbox_state (id, position) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table("sync_acks", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_acks_position")

    op.drop_table("sync_acks")
    op.drop_table("outbox_state")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_events_unit_code_position")
        batch_op.drop_index("ix_outbox_events_subject")

    op.drop_table("outbox_events")
