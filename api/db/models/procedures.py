"""Exit applications and what happens to them: lists, stage records, evidence, objections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base, str_enum
from api.db.types import UTCDateTime, big_id, division_code
from api.domain.engine import Status
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import CountyDesignation, SubjectKind


class ProcedureVersion(Base):
    """A snapshot of a procedure definition; applications keep the one they started under."""

    __tablename__ = "procedure_versions"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    code: Mapped[str] = mapped_column(String(50))
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExitList(Base):
    """A list proposed together (a village's households, a township's villages...)."""

    __tablename__ = "exit_lists"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    procedure_version_id: Mapped[int] = mapped_column(big_id(), ForeignKey("procedure_versions.id"))
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, "subject_kind"))
    unit_code: Mapped[str] = mapped_column(division_code(), ForeignKey("jurisdictions.code"))
    year: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExitApplication(Base):
    """One subject's way through its procedure. ``row_version`` guards concurrent steps."""

    __tablename__ = "exit_applications"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_key", "year"),
        Index("ix_exit_applications_unit_code_id", "unit_code", "id"),
        Index("ix_exit_applications_list_id", "list_id"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    procedure_version_id: Mapped[int] = mapped_column(big_id(), ForeignKey("procedure_versions.id"))
    list_id: Mapped[int] = mapped_column(big_id(), ForeignKey("exit_lists.id"))
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, "subject_kind"))
    subject_key: Mapped[str] = mapped_column(String(32))
    """Registry number of a household; division code of a village or county."""
    unit_code: Mapped[str] = mapped_column(division_code(), ForeignKey("jurisdictions.code"))
    """The unit the subject lies in, used for scoping and authorization."""
    household_id: Mapped[int | None] = mapped_column(big_id(), ForeignKey("households.id"))
    designation: Mapped[CountyDesignation | None] = mapped_column(
        str_enum(CountyDesignation, "designation")
    )
    year: Mapped[int]
    stage: Mapped[str] = mapped_column(String(50))
    status: Mapped[Status] = mapped_column(str_enum(Status, "status"))
    notice_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notice_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    row_version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class StageRecord(Base):
    """One action on an application: a stage performed, a notice posted, an objection."""

    __tablename__ = "stage_records"
    __table_args__ = (Index("ix_stage_records_application_id_id", "application_id", "id"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    application_id: Mapped[int] = mapped_column(big_id(), ForeignKey("exit_applications.id"))
    stage: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision, "decision"))
    return_to: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_subject: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(50))
    actor_jurisdiction: Mapped[str] = mapped_column(division_code())
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_application_id", "application_id"),
        Index("ix_evidence_sha256", "sha256"),  # who may download a file (evidence_files)
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    application_id: Mapped[int] = mapped_column(big_id(), ForeignKey("exit_applications.id"))
    stage_record_id: Mapped[int] = mapped_column(big_id(), ForeignKey("stage_records.id"))
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind, "kind"))
    reference: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))

    stage_record: Mapped[StageRecord] = relationship(lazy="raise")
    """Set on new evidence so that one flush writes the record and then its evidence
    (the record's id is not known before); never loaded."""


class Objection(Base):
    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_application_id", "application_id"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    application_id: Mapped[int] = mapped_column(big_id(), ForeignKey("exit_applications.id"))
    stage: Mapped[str] = mapped_column(String(50))
    content: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str | None] = mapped_column(String(100))
    """None when raised by the public, who need not say who they are."""
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EvaluationAssignment(Base):
    """A third-party evaluator assigned to one application; the only thing it may act on."""

    __tablename__ = "evaluation_assignments"
    __table_args__ = (UniqueConstraint("application_id", "evaluator"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    application_id: Mapped[int] = mapped_column(big_id(), ForeignKey("exit_applications.id"))
    evaluator: Mapped[str] = mapped_column(String(100))
    assigned_by: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
