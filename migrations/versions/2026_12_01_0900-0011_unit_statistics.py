"""unit statistics kept on write

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00+00:00

The rows are derived: ``api.migrations.upgrade`` builds them from the register after
upgrading a database that holds households but no statistics yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEASURES = (
    "registered_households",
    "registered_population",
    "poor_households",
    "poor_population",
    "proposed_households",
    "exited_households",
    "exited_population",
    "returned_households",
    "returned_population",
    "proposed_villages",
    "exited_villages",
    "proposed_counties",
    "exited_counties",
    "rural_population",
)


def upgrade() -> None:
    op.create_table(
        "unit_statistics",
        sa.Column(
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)
            for name in MEASURES
        ),
        sa.PrimaryKeyConstraint("unit_code", "year", name=op.f("pk_unit_statistics")),
    )


def downgrade() -> None:
    op.drop_table("unit_statistics")
