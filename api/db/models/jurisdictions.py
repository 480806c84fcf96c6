"""Administrative units and which of them are designated poor."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import division_code
from api.domain.jurisdictions import Level
from api.domain.register import CountyDesignation, RegionClass, VillageDesignation


class Jurisdiction(Base):
    __tablename__ = "jurisdictions"
    __table_args__ = (CheckConstraint("length(code) in (2, 4, 6, 9, 12)", name="code_length"),)

    code: Mapped[str] = mapped_column(division_code(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[Level] = mapped_column(str_enum(Level, "level"))
    parent_code: Mapped[str | None] = mapped_column(
        division_code(), ForeignKey("jurisdictions.code"), index=True
    )


class CountyDesignationRow(Base):
    """A county designated poor (国家级 or 省级贫困县), and when it exited."""

    __tablename__ = "county_designations"

    county_code: Mapped[str] = mapped_column(
        division_code(), ForeignKey("jurisdictions.code"), primary_key=True
    )
    designation: Mapped[CountyDesignation] = mapped_column(
        str_enum(CountyDesignation, "designation")
    )
    region_class: Mapped[RegionClass] = mapped_column(str_enum(RegionClass, "region_class"))
    designated_year: Mapped[int]
    exited_on: Mapped[date | None]


class VillageDesignationRow(Base):
    """A village designated poor (贫困村 / 扶贫工作重点村), and when it exited."""

    __tablename__ = "village_designations"

    village_code: Mapped[str] = mapped_column(
        division_code(), ForeignKey("jurisdictions.code"), primary_key=True
    )
    designation: Mapped[VillageDesignation] = mapped_column(
        str_enum(VillageDesignation, "designation")
    )
    designated_year: Mapped[int]
    exited_on: Mapped[date | None]
