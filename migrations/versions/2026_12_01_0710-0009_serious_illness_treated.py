"""member: whether a serious illness is treated (a 十不脱 hard block reads it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 07:10:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and without a default: existing members' treatment is not recorded, and
    # an unrecorded treatment of a serious illness blocks an exit until it is recorded.
    op.add_column(
        "household_members", sa.Column("serious_illness_treated", sa.Boolean(), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("household_members") as batch:
        batch.drop_column("serious_illness_treated")
