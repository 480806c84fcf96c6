"""Statistics rows: changes per unit and year (``api.domain.statistics``), one column
per measure, kept in the transaction of every write that changes them."""

from __future__ import annotations

from sqlalchemy import Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import division_code


def _count() -> Mapped[int]:
    return mapped_column(Integer, server_default=text("0"), default=0)


class UnitStatistics(Base):
    """A unit's changes in one year, for every level from province to village. No
    foreign key: the rows are derived, written in code order, and rebuilt from the
    register by ``tuopin statistics rebuild``."""

    __tablename__ = "unit_statistics"

    unit_code: Mapped[str] = mapped_column(division_code(), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    registered_households: Mapped[int] = _count()
    registered_population: Mapped[int] = _count()
    poor_households: Mapped[int] = _count()
    poor_population: Mapped[int] = _count()
    proposed_households: Mapped[int] = _count()
    exited_households: Mapped[int] = _count()
    exited_population: Mapped[int] = _count()
    returned_households: Mapped[int] = _count()
    returned_population: Mapped[int] = _count()
    proposed_villages: Mapped[int] = _count()
    exited_villages: Mapped[int] = _count()
    proposed_counties: Mapped[int] = _count()
    exited_counties: Mapped[int] = _count()
    rural_population: Mapped[int] = _count()
