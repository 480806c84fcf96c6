"""Idempotency keys: a retried mutation returns its first result and changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime


class IdempotencyRecord(Base):
    """Written in the same transaction as the mutation it remembers."""

    __tablename__ = "idempotency_records"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    mutation: Mapped[str] = mapped_column(String(50))
    request_digest: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
