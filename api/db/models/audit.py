"""The insert-only ledger. Database triggers refuse UPDATE and DELETE on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, big_id, division_code


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_kind", "object_id"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_subject: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(50))
    actor_jurisdiction: Mapped[str] = mapped_column(division_code())
    action: Mapped[str] = mapped_column(String(50))
    object_kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(50))
    unit_code: Mapped[str] = mapped_column(division_code())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence_hashes: Mapped[list[str]] = mapped_column(JSON)
