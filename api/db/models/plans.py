"""Annual exit plans (年度退出计划) per unit, year and subject kind."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import big_id, division_code
from api.domain.register import SubjectKind


class ExitPlan(Base):
    __tablename__ = "exit_plans"
    __table_args__ = (
        UniqueConstraint("jurisdiction_code", "year", "subject_kind"),
        CheckConstraint("planned_count >= 0", name="planned_count_nonnegative"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(
        division_code(), ForeignKey("jurisdictions.code")
    )
    year: Mapped[int]
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, "subject_kind"))
    planned_count: Mapped[int]
    planned_population: Mapped[int | None]
    document: Mapped[str | None] = mapped_column(String(200))
