"""procedures, role assignments and the ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:18:16.434421+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=50), nullable=False),
        sa.Column(
            "actor_jurisdiction",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("object_kind", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=50), nullable=False),
        sa.Column(
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("evidence_hashes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_object", ["object_kind", "object_id"], unique=False)

    op.create_table(
        "policy_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_state")),
    )
    op.create_table(
        "procedure_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("registered_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_versions")),
        sa.UniqueConstraint("digest", name=op.f("uq_procedure_versions_digest")),
    )
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "village_committees",
                "resident_work_team",
                "first_secretary",
                "township_government",
                "county_leading_group",
                "municipal_leading_group",
                "provincial_leading_group",
                "provincial_government",
                "state_council_leading_group",
                "third_party_evaluator",
                "inspector",
                "integrator",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "jurisdiction_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
    )
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_role_assignments_subject_revoked_at", ["subject", "revoked_at"], unique=False
        )

    op.create_table(
        "exit_lists",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "procedure_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
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
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_version_id"],
            ["procedure_versions.id"],
            name=op.f("fk_exit_lists_procedure_version_id_procedure_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["jurisdictions.code"],
            name=op.f("fk_exit_lists_unit_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_lists")),
    )
    op.create_table(
        "exit_applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "procedure_version_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
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
        sa.Column("subject_key", sa.String(length=32), nullable=False),
        sa.Column(
            "unit_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "designation",
            sa.Enum(
                "national",
                "provincial",
                name="designation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_progress",
                "objected",
                "rejected",
                "exited",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notice_started_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notice_ends_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_exit_applications_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["exit_lists.id"], name=op.f("fk_exit_applications_list_id_exit_lists")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_version_id"],
            ["procedure_versions.id"],
            name=op.f("fk_exit_applications_procedure_version_id_procedure_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["jurisdictions.code"],
            name=op.f("fk_exit_applications_unit_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_applications")),
        sa.UniqueConstraint(
            "subject_kind",
            "subject_key",
            "year",
            name=op.f("uq_exit_applications_subject_kind_subject_key_year"),
        ),
    )
    with op.batch_alter_table("exit_applications", schema=None) as batch_op:
        batch_op.create_index("ix_exit_applications_list_id", ["list_id"], unique=False)
        batch_op.create_index(
            "ix_exit_applications_unit_code_id", ["unit_code", "id"], unique=False
        )

    op.create_table(
        "objections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=True),
        sa.Column("raised_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolved_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["exit_applications.id"],
            name=op.f("fk_objections_application_id_exit_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index("ix_objections_application_id", ["application_id"], unique=False)

    op.create_table(
        "stage_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "reject",
                "return",
                name="decision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("return_to", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_subject", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=50), nullable=False),
        sa.Column(
            "actor_jurisdiction",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["exit_applications.id"],
            name=op.f("fk_stage_records_application_id_exit_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_records")),
    )
    with op.batch_alter_table("stage_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stage_records_application_id_id", ["application_id", "id"], unique=False
        )

    op.create_table(
        "evidence",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "stage_record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "assembly_minutes",
                "verification_record",
                "household_acknowledgment",
                "notice_posting",
                "investigation_report",
                "spot_check_record",
                "evaluation_report",
                "application_document",
                "review_report",
                "report_document",
                "approval_document",
                "filing_receipt",
                name="kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["exit_applications.id"],
            name=op.f("fk_evidence_application_id_exit_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["stage_record_id"],
            ["stage_records.id"],
            name=op.f("fk_evidence_stage_record_id_stage_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_application_id", ["application_id"], unique=False)

    op.execute("INSERT INTO policy_state (id, version) VALUES (1, 0)")
    _ledger_is_insert_only()


LEDGER_MESSAGE = "audit_events is insert-only"


def _ledger_is_insert_only() -> None:
    if op.get_context().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{LEDGER_MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_events_insert_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{LEDGER_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_insert_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_insert_only()"
    )


def _drop_ledger_guard() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
        return
    op.execute("DROP TRIGGER audit_events_insert_only ON audit_events")
    op.execute("DROP FUNCTION audit_events_insert_only()")


def downgrade() -> None:
    _drop_ledger_guard()
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_application_id")

    op.drop_table("evidence")
    with op.batch_alter_table("stage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_records_application_id_id")

    op.drop_table("stage_records")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index("ix_objections_application_id")

    op.drop_table("objections")
    with op.batch_alter_table("exit_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_exit_applications_unit_code_id")
        batch_op.drop_index("ix_exit_applications_list_id")

    op.drop_table("exit_applications")
    op.drop_table("exit_lists")
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_role_assignments_subject_revoked_at")

    op.drop_table("role_assignments")
    op.drop_table("procedure_versions")
    op.drop_table("policy_state")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")

    op.drop_table("audit_events")
