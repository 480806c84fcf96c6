"""The samples of a third-party evaluation (三率一度): villages and surveyed households."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, big_id, division_code


class EvaluationVillage(Base):
    """A village an assigned evaluator sampled, with the rural population it surveyed."""

    __tablename__ = "evaluation_villages"
    __table_args__ = (
        UniqueConstraint("assignment_id", "village_code"),
        CheckConstraint("rural_population > 0", name="rural_population_positive"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    assignment_id: Mapped[int] = mapped_column(big_id(), ForeignKey("evaluation_assignments.id"))
    village_code: Mapped[str] = mapped_column(division_code(), ForeignKey("jurisdictions.code"))
    rural_population: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EvaluationHousehold(Base):
    """A household surveyed in a sampled village, known by its questionnaire number only."""

    __tablename__ = "evaluation_households"
    __table_args__ = (
        UniqueConstraint("village_sample_id", "survey_no"),
        CheckConstraint("people > 0", name="people_positive"),
        CheckConstraint("registered OR NOT exited", name="exited_only_if_registered"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    village_sample_id: Mapped[int] = mapped_column(big_id(), ForeignKey("evaluation_villages.id"))
    survey_no: Mapped[str] = mapped_column(String(32))
    people: Mapped[int]
    registered: Mapped[bool]
    exited: Mapped[bool]
    found_poor: Mapped[bool]
    recognises: Mapped[bool]
