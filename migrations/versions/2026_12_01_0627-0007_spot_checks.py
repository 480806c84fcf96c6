"""spot checks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 06:27:21.545997+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spot_checks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum(
                "household",
                "village",
                "county",
                name="subject_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "basis",
            sa.Enum(
                "exited",
                "awaiting_review",
                name="spot_check_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=50), nullable=False),
        sa.Column("seed", sa.String(length=200), nullable=False),
        sa.Column("requested_count", sa.Integer(), nullable=True),
        sa.Column("requested_share", sa.String(length=20), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("frame_size", sa.Integer(), nullable=False),
        sa.Column("frame_sha256", sa.String(length=64), nullable=False),
        sa.Column("drawn_by", sa.String(length=100), nullable=False),
        sa.Column("drawn_role", sa.String(length=50), nullable=False),
        sa.Column(
            "drawn_jurisdiction",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("drawn_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["jurisdictions.code"],
            name=op.f("fk_spot_checks_unit_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
    )
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.create_index("ix_spot_checks_unit_code_id", ["unit_code", "id"], unique=False)

    op.create_table(
        "spot_check_subjects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "spot_check_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("subject_key", sa.String(length=32), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("sample_rank", sa.Integer(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "passed",
                "failed",
                name="spot_check_result",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("failed_criteria", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("returned_to", sa.String(length=50), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=True),
        sa.Column("recorded_role", sa.String(length=50), nullable=True),
        sa.Column("recorded_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["exit_applications.id"],
            name=op.f("fk_spot_check_subjects_application_id_exit_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["spot_check_id"],
            ["spot_checks.id"],
            name=op.f("fk_spot_check_subjects_spot_check_id_spot_checks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_subjects")),
        sa.UniqueConstraint(
            "spot_check_id",
            "subject_key",
            name=op.f("uq_spot_check_subjects_spot_check_id_subject_key"),
        ),
    )
    with op.batch_alter_table("spot_check_subjects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spot_check_subjects_application_id", ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spot_check_subjects", schema=None) as batch_op:
        batch_op.drop_index("ix_spot_check_subjects_application_id")

    op.drop_table("spot_check_subjects")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_spot_checks_unit_code_id")

    op.drop_table("spot_checks")
