"""The household register: households, members, yearly incomes and assessments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import Money, UTCDateTime, big_id, division_code
from api.domain.register import (
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    HousingGrade,
    IncomeKind,
    LabourCapacity,
    PovertyCause,
    Relation,
    SchoolingStatus,
    StandardKind,
)


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (
        # Keyset pages of a subtree walk (village_code, id); the scoping predicate is
        # a village_code range, so this one index serves both.
        Index("ix_households_village_code_id", "village_code", "id"),
        Index("ix_households_phone", "phone"),  # search by phone
        CheckConstraint(
            "exited_year IS NULL OR exited_year >= registered_year", name="exit_after_registration"
        ),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    registry_no: Mapped[str] = mapped_column(String(32), unique=True)
    village_code: Mapped[str] = mapped_column(division_code(), ForeignKey("jurisdictions.code"))
    villager_group: Mapped[str] = mapped_column(String(50))
    head_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    bank_account: Mapped[str | None] = mapped_column(String(32))
    standard_kind: Mapped[StandardKind] = mapped_column(str_enum(StandardKind, "standard_kind"))
    attribute: Mapped[HouseholdAttribute] = mapped_column(str_enum(HouseholdAttribute, "attribute"))
    main_cause: Mapped[PovertyCause] = mapped_column(str_enum(PovertyCause, "main_cause"))
    second_cause: Mapped[PovertyCause | None] = mapped_column(
        str_enum(PovertyCause, "second_cause")
    )
    third_cause: Mapped[PovertyCause | None] = mapped_column(str_enum(PovertyCause, "third_cause"))
    exit_attribute: Mapped[ExitAttribute] = mapped_column(str_enum(ExitAttribute, "exit_attribute"))
    registered_year: Mapped[int]
    exited_year: Mapped[int | None]
    returned_year: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "household_members"
    __table_args__ = (
        CheckConstraint("migrant_work_months BETWEEN 0 AND 12", name="migrant_work_months_range"),
        # Search by a name's start (a range in code-point order) and, on PostgreSQL, by a
        # part anywhere (pg_trgm): api/db/repositories/household_search.py.
        Index("ix_household_members_name", "name"),
        Index(
            "ix_household_members_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    household_id: Mapped[int] = mapped_column(big_id(), ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(
        String(50).with_variant(String(50, collation="C"), "postgresql")
    )
    """Compared in code-point order on PostgreSQL, whatever the database's collation: a
    name's start is then an index range (search), and Chinese names have no other order."""
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    relation: Mapped[Relation] = mapped_column(str_enum(Relation, "relation"))
    ethnicity: Mapped[str] = mapped_column(String(20))
    education: Mapped[Education] = mapped_column(str_enum(Education, "education"))
    schooling: Mapped[SchoolingStatus] = mapped_column(str_enum(SchoolingStatus, "schooling"))
    health: Mapped[Health] = mapped_column(str_enum(Health, "health"))
    labour_capacity: Mapped[LabourCapacity] = mapped_column(
        str_enum(LabourCapacity, "labour_capacity")
    )
    migrant_work_months: Mapped[int]
    medical_insurance: Mapped[bool]
    serious_illness_insurance: Mapped[bool]
    pension_insurance: Mapped[bool]
    serious_illness_treated: Mapped[bool | None]
    """For a member with a serious illness: treated (得到救治) or not; None: not recorded."""
    joined_year: Mapped[int | None]
    left_year: Mapped[int | None]


class IncomeRecord(Base):
    """One line of a household's accounts for a year; costs are recorded as COST lines."""

    __tablename__ = "income_records"
    __table_args__ = (
        Index("ix_income_records_household_id_year", "household_id", "year"),
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    household_id: Mapped[int] = mapped_column(big_id(), ForeignKey("households.id"))
    year: Mapped[int]
    kind: Mapped[IncomeKind] = mapped_column(str_enum(IncomeKind, "kind"))
    amount: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Assessment(Base):
    """A dated 两不愁三保障 assessment with who made it and the evidence.

    A household may be re-assessed within a year (after an objection, say); the
    latest by ``assessed_on`` then ``id`` is the one that counts.
    """

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_household_id_year", "household_id", "year"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    household_id: Mapped[int] = mapped_column(big_id(), ForeignKey("households.id"))
    year: Mapped[int]
    assessed_on: Mapped[date]
    housing_grade: Mapped[HousingGrade] = mapped_column(str_enum(HousingGrade, "housing_grade"))
    food_and_clothing_assured: Mapped[bool]
    compulsory_education_assured: Mapped[bool]
    medical_insurance_enrolled: Mapped[bool]
    drinking_water_safe: Mapped[bool]
    assessor_name: Mapped[str] = mapped_column(String(50))
    assessor_role: Mapped[str] = mapped_column(String(50))
    evidence: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
