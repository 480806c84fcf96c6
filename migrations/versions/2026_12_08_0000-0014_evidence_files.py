"""evidence files: stored documents known by their SHA-256, and their uploaders

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:00:00+00:00

``evidence_files`` holds one row per stored file (its bytes are in the file store,
api/files/store.py); ``evidence_file_uploads`` who uploaded it. Evidence citing a file
does so by hash, as before: ``ix_evidence_sha256`` finds the applications citing a
file, which decide who may download it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uploaded_at", api.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_evidence_files_size_positive")),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_evidence_files_sha256_length")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_files")),
    )
    op.create_table(
        "evidence_file_uploads",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("role", sa.String(50), nullable=False),
        sa.Column("jurisdiction", api.db.types.division_code(), nullable=False),
        sa.Column("at", api.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["evidence_files.sha256"],
            name=op.f("fk_evidence_file_uploads_sha256_evidence_files"),
        ),
        sa.PrimaryKeyConstraint("sha256", "subject", name=op.f("pk_evidence_file_uploads")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_sha256"))
    op.drop_table("evidence_file_uploads")
    op.drop_table("evidence_files")
