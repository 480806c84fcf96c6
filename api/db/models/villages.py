"""Yearly village indicators: population and the central hamlet's infrastructure."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import Money, division_code


class VillageIndicators(Base):
    __tablename__ = "village_indicators"
    __table_args__ = (
        CheckConstraint("rural_population >= 0", name="rural_population_nonnegative"),
    )

    village_code: Mapped[str] = mapped_column(
        division_code(), ForeignKey("jurisdictions.code"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    rural_population: Mapped[int]
    hamlet_road_paved: Mapped[bool]
    broadband: Mapped[bool]
    radio_and_cable_tv: Mapped[bool]
    clinic_with_doctor: Mapped[bool]
    cultural_venue: Mapped[bool]
    collective_income: Mapped[Decimal] = mapped_column(Money())
