"""evaluation assignments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:25:25.743608+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("evaluator", sa.String(length=100), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("assigned_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["exit_applications.id"],
            name=op.f("fk_evaluation_assignments_application_id_exit_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_assignments")),
        sa.UniqueConstraint(
            "application_id",
            "evaluator",
            name=op.f("uq_evaluation_assignments_application_id_evaluator"),
        ),
    )


def downgrade() -> None:
    op.drop_table("evaluation_assignments")
