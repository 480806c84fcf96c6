"""register, standards and jurisdictions

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:55:57.178359+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jurisdictions",
        sa.Column(
            "code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "province",
                "municipality",
                "county",
                "township",
                "village",
                name="level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "parent_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "length(code) in (2, 4, 6, 9, 12)", name=op.f("ck_jurisdictions_code_length")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["jurisdictions.code"],
            name=op.f("fk_jurisdictions_parent_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_jurisdictions")),
    )
    with op.batch_alter_table("jurisdictions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_jurisdictions_parent_code"), ["parent_code"], unique=False
        )

    op.create_table(
        "poverty_standards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "applies_to",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "national", "provincial", name="kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("amount", api.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_poverty_standards_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poverty_standards")),
        sa.UniqueConstraint(
            "applies_to", "year", "kind", name=op.f("uq_poverty_standards_applies_to_year_kind")
        ),
    )
    op.create_table(
        "county_designations",
        sa.Column(
            "county_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
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
            nullable=False,
        ),
        sa.Column(
            "region_class",
            sa.Enum(
                "general", "western", name="region_class", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("designated_year", sa.Integer(), nullable=False),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["jurisdictions.code"],
            name=op.f("fk_county_designations_county_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("county_code", name=op.f("pk_county_designations")),
    )
    op.create_table(
        "exit_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "jurisdiction_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
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
        sa.Column("planned_count", sa.Integer(), nullable=False),
        sa.Column("planned_population", sa.Integer(), nullable=True),
        sa.Column("document", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "planned_count >= 0", name=op.f("ck_exit_plans_planned_count_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_exit_plans_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_plans")),
        sa.UniqueConstraint(
            "jurisdiction_code",
            "year",
            "subject_kind",
            name=op.f("uq_exit_plans_jurisdiction_code_year_subject_kind"),
        ),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("registry_no", sa.String(length=32), nullable=False),
        sa.Column(
            "village_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("villager_group", sa.String(length=50), nullable=False),
        sa.Column("head_name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("bank_account", sa.String(length=32), nullable=True),
        sa.Column(
            "standard_kind",
            sa.Enum(
                "national",
                "provincial",
                name="standard_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "attribute",
            sa.Enum(
                "general",
                "dibao",
                "wubao",
                name="attribute",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "main_cause",
            sa.Enum(
                "illness",
                "disability",
                "education",
                "disaster",
                "lack_of_land",
                "lack_of_water",
                "lack_of_skills",
                "lack_of_labour",
                "lack_of_capital",
                "poor_transport",
                "lack_of_drive",
                "other",
                name="main_cause",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "second_cause",
            sa.Enum(
                "illness",
                "disability",
                "education",
                "disaster",
                "lack_of_land",
                "lack_of_water",
                "lack_of_skills",
                "lack_of_labour",
                "lack_of_capital",
                "poor_transport",
                "lack_of_drive",
                "other",
                name="second_cause",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "third_cause",
            sa.Enum(
                "illness",
                "disability",
                "education",
                "disaster",
                "lack_of_land",
                "lack_of_water",
                "lack_of_skills",
                "lack_of_labour",
                "lack_of_capital",
                "poor_transport",
                "lack_of_drive",
                "other",
                name="third_cause",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "exit_attribute",
            sa.Enum(
                "not_exited",
                "exited_supported",
                "exited_support_ended",
                "returned_to_poverty",
                name="exit_attribute",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("registered_year", sa.Integer(), nullable=False),
        sa.Column("exited_year", sa.Integer(), nullable=True),
        sa.Column("returned_year", sa.Integer(), nullable=True),
        sa.Column("created_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "exited_year IS NULL OR exited_year >= registered_year",
            name=op.f("ck_households_exit_after_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["jurisdictions.code"],
            name=op.f("fk_households_village_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("registry_no", name=op.f("uq_households_registry_no")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index("ix_households_village_code_id", ["village_code", "id"], unique=False)

    op.create_table(
        "village_designations",
        sa.Column(
            "village_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "designation",
            sa.Enum(
                "poor_village",
                "key_village",
                name="designation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("designated_year", sa.Integer(), nullable=False),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["jurisdictions.code"],
            name=op.f("fk_village_designations_village_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("village_code", name=op.f("pk_village_designations")),
    )
    op.create_table(
        "village_indicators",
        sa.Column(
            "village_code",
            sa.String(length=12).with_variant(sa.String(length=12, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rural_population", sa.Integer(), nullable=False),
        sa.Column("hamlet_road_paved", sa.Boolean(), nullable=False),
        sa.Column("broadband", sa.Boolean(), nullable=False),
        sa.Column("radio_and_cable_tv", sa.Boolean(), nullable=False),
        sa.Column("clinic_with_doctor", sa.Boolean(), nullable=False),
        sa.Column("cultural_venue", sa.Boolean(), nullable=False),
        sa.Column("collective_income", api.db.types.Money(precision=14, scale=2), nullable=False),
        sa.CheckConstraint(
            "rural_population >= 0", name=op.f("ck_village_indicators_rural_population_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["jurisdictions.code"],
            name=op.f("fk_village_indicators_village_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("village_code", "year", name=op.f("pk_village_indicators")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column(
            "housing_grade",
            sa.Enum(
                "A", "B", "C", "D", name="housing_grade", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("food_and_clothing_assured", sa.Boolean(), nullable=False),
        sa.Column("compulsory_education_assured", sa.Boolean(), nullable=False),
        sa.Column("medical_insurance_enrolled", sa.Boolean(), nullable=False),
        sa.Column("drinking_water_safe", sa.Boolean(), nullable=False),
        sa.Column("assessor_name", sa.String(length=50), nullable=False),
        sa.Column("assessor_role", sa.String(length=50), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_assessments_household_id_households")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessments_household_id_year", ["household_id", "year"], unique=False
        )

    op.create_table(
        "household_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "head",
                "spouse",
                "child",
                "child_in_law",
                "grandchild",
                "parent",
                "grandparent",
                "sibling",
                "other",
                name="relation",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("ethnicity", sa.String(length=20), nullable=False),
        sa.Column(
            "education",
            sa.Enum(
                "none",
                "primary",
                "junior_secondary",
                "senior_secondary",
                "tertiary",
                "preschool",
                name="education",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "schooling",
            sa.Enum(
                "not_applicable",
                "in_school",
                "home_taught",
                "dropped_out",
                name="schooling",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "health",
            sa.Enum(
                "healthy",
                "chronic_illness",
                "serious_illness",
                "disabled",
                name="health",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "labour_capacity",
            sa.Enum(
                "ordinary",
                "skilled",
                "weak",
                "none",
                "not_of_working_age",
                name="labour_capacity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("migrant_work_months", sa.Integer(), nullable=False),
        sa.Column("medical_insurance", sa.Boolean(), nullable=False),
        sa.Column("serious_illness_insurance", sa.Boolean(), nullable=False),
        sa.Column("pension_insurance", sa.Boolean(), nullable=False),
        sa.Column("joined_year", sa.Integer(), nullable=True),
        sa.Column("left_year", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "migrant_work_months BETWEEN 0 AND 12",
            name=op.f("ck_household_members_migrant_work_months_range"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_members_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_members")),
        sa.UniqueConstraint("id_number", name=op.f("uq_household_members_id_number")),
    )
    with op.batch_alter_table("household_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_members_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "income_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "wage",
                "business",
                "property",
                "transfer",
                "cost",
                name="kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("amount", api.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_income_records_amount_nonnegative")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_income_records_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_income_records")),
    )
    with op.batch_alter_table("income_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_income_records_household_id_year", ["household_id", "year"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("income_records", schema=None) as batch_op:
        batch_op.drop_index("ix_income_records_household_id_year")

    op.drop_table("income_records")
    with op.batch_alter_table("household_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_members_household_id"))

    op.drop_table("household_members")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessments_household_id_year")

    op.drop_table("assessments")
    op.drop_table("village_indicators")
    op.drop_table("village_designations")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_village_code_id")

    op.drop_table("households")
    op.drop_table("exit_plans")
    op.drop_table("county_designations")
    op.drop_table("poverty_standards")
    with op.batch_alter_table("jurisdictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jurisdictions_parent_code"))

    op.drop_table("jurisdictions")
