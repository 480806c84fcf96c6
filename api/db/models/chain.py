"""The hash chain over decision records (api/domain/chain.py). Insert-only by trigger."""

from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import big_id


class ChainEntry(Base):
    __tablename__ = "chain_entries"
    __table_args__ = (
        Index("ix_chain_entries_application_id_seq", "application_id", "seq"),
        Index("ix_chain_entries_fact_record_id", "fact", "record_id"),
    )

    seq: Mapped[int] = mapped_column(big_id(), primary_key=True)
    fact: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(big_id())
    application_id: Mapped[int | None] = mapped_column(big_id())
    content: Mapped[str] = mapped_column(Text)
    """The fact's canonical JSON, as hashed."""
    content_sha256: Mapped[str] = mapped_column(String(64))
    prev_app: Mapped[str] = mapped_column(String(64))
    prev_global: Mapped[str] = mapped_column(String(64))
    entry_sha256: Mapped[str] = mapped_column(String(64))
