"""third-party evaluation samples

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 07:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_villages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "village_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("rural_population", sa.Integer(), nullable=False),
        sa.Column("recorded_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rural_population > 0", name=op.f("ck_evaluation_villages_rural_population_positive")
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["evaluation_assignments.id"],
            name=op.f("fk_evaluation_villages_assignment_id_evaluation_assignments"),
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["jurisdictions.code"],
            name=op.f("fk_evaluation_villages_village_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_villages")),
        sa.UniqueConstraint(
            "assignment_id",
            "village_code",
            name=op.f("uq_evaluation_villages_assignment_id_village_code"),
        ),
    )
    op.create_table(
        "evaluation_households",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "village_sample_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("survey_no", sa.String(length=32), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("exited", sa.Boolean(), nullable=False),
        sa.Column("found_poor", sa.Boolean(), nullable=False),
        sa.Column("recognises", sa.Boolean(), nullable=False),
        sa.CheckConstraint("people > 0", name=op.f("ck_evaluation_households_people_positive")),
        sa.CheckConstraint(
            "registered OR NOT exited",
            name=op.f("ck_evaluation_households_exited_only_if_registered"),
        ),
        sa.ForeignKeyConstraint(
            ["village_sample_id"],
            ["evaluation_villages.id"],
            name=op.f("fk_evaluation_households_village_sample_id_evaluation_villages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_households")),
        sa.UniqueConstraint(
            "village_sample_id",
            "survey_no",
            name=op.f("uq_evaluation_households_village_sample_id_survey_no"),
        ),
    )


def downgrade() -> None:
    op.drop_table("evaluation_households")
    op.drop_table("evaluation_villages")
