"""Evidence files: a stored document, known by its SHA-256, and who uploaded it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, division_code


class EvidenceFile(Base):
    """One stored file. Its bytes are in the file store under ``sha256``; evidence
    citing that hash (``evidence.sha256``) is backed by this file."""

    __tablename__ = "evidence_files"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    """The name given at the first upload, cleaned (api/domain/evidence_files.py)."""
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EvidenceFileUpload(Base):
    """Who uploaded a file: an uploader may download it before any evidence cites it."""

    __tablename__ = "evidence_file_uploads"

    sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("evidence_files.sha256"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(50))
    jurisdiction: Mapped[str] = mapped_column(division_code())
    at: Mapped[datetime] = mapped_column(UTCDateTime())
