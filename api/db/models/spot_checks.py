"""Spot checks (抽查): the recorded draw and, per frame subject, its sample rank and finding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import UTCDateTime, big_id, division_code
from api.domain.register import SubjectKind
from api.domain.spot_checks import Basis, Result


class SpotCheck(Base):
    """One draw: the query defining its frame, the seed, the method and the size.

    The frame itself is its ``spot_check_subjects`` rows; ``frame_sha256`` is the hash of
    their keys in canonical order, so a copy of the frame can be checked against it.
    """

    __tablename__ = "spot_checks"
    __table_args__ = (Index("ix_spot_checks_unit_code_id", "unit_code", "id"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, "subject_kind"))
    basis: Mapped[Basis] = mapped_column(str_enum(Basis, "spot_check_basis"))
    unit_code: Mapped[str] = mapped_column(division_code(), ForeignKey("jurisdictions.code"))
    year: Mapped[int]
    method: Mapped[str] = mapped_column(String(50))
    seed: Mapped[str] = mapped_column(String(200))
    requested_count: Mapped[int | None]
    requested_share: Mapped[str | None] = mapped_column(String(20))
    """The share asked for, as the decimal text given (exact)."""
    size: Mapped[int]
    frame_size: Mapped[int]
    frame_sha256: Mapped[str] = mapped_column(String(64))
    drawn_by: Mapped[str] = mapped_column(String(100))
    drawn_role: Mapped[str] = mapped_column(String(50))
    drawn_jurisdiction: Mapped[str] = mapped_column(division_code())
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SpotCheckSubject(Base):
    """A subject of a spot check's frame; ``sample_rank`` (1 = drawn first) if sampled,
    and then, once recorded, its finding."""

    __tablename__ = "spot_check_subjects"
    __table_args__ = (
        UniqueConstraint("spot_check_id", "subject_key"),
        Index("ix_spot_check_subjects_application_id", "application_id"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(big_id(), ForeignKey("spot_checks.id"))
    subject_key: Mapped[str] = mapped_column(String(32))
    application_id: Mapped[int] = mapped_column(big_id(), ForeignKey("exit_applications.id"))
    """The exited application, or the one waiting for review, when the frame was drawn."""
    unit_code: Mapped[str] = mapped_column(division_code())
    sample_rank: Mapped[int | None]
    result: Mapped[Result | None] = mapped_column(str_enum(Result, "spot_check_result"))
    failed_criteria: Mapped[list[str] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """[{reference, sha256}] backing the finding."""
    returned_to: Mapped[str | None] = mapped_column(String(50))
    """The stage a failed finding sent the application back to; None if it stayed."""
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    recorded_role: Mapped[str | None] = mapped_column(String(50))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
