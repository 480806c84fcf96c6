"""The transactional outbox: changes the national system must know, in commit order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, big_id, division_code


class OutboxEvent(Base):
    """``position`` is taken from ``OutboxState`` inside the writing transaction, whose row
    lock is held until commit, so positions follow commit order: a reader that has seen
    position N never finds a smaller one committed later."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_subject", "subject_kind", "subject_key", "position"),
        Index("ix_outbox_events_unit_code_position", "unit_code", "position"),
    )

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    schema_version: Mapped[int]
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_key: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(division_code())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxState(Base):
    """One row: the last position handed out."""

    __tablename__ = "outbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class SyncAck(Base):
    """The national system's answer to one event; the latest per event counts."""

    __tablename__ = "sync_acks"
    __table_args__ = (Index("ix_sync_acks_position", "position"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, ForeignKey("outbox_events.position"))
    accepted: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
