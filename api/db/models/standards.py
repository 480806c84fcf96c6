"""Poverty lines per jurisdiction, year and kind, each with its source."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import Money, big_id, division_code
from api.domain.register import StandardKind


class PovertyStandard(Base):
    """``applies_to`` is a division-code prefix; ``""`` means the whole country."""

    __tablename__ = "poverty_standards"
    __table_args__ = (
        UniqueConstraint("applies_to", "year", "kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    applies_to: Mapped[str] = mapped_column(division_code())
    year: Mapped[int]
    kind: Mapped[StandardKind] = mapped_column(str_enum(StandardKind, "kind"))
    amount: Mapped[Decimal] = mapped_column(Money())
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(200))
