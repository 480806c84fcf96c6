"""Who holds which role where, and the version that tells workers to reload."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import UTCDateTime, big_id, division_code
from api.domain.roles import Role


class RoleAssignment(Base):
    """A holding; revoking sets ``revoked_at`` (rows are kept for accountability)."""

    __tablename__ = "role_assignments"
    __table_args__ = (Index("ix_role_assignments_subject_revoked_at", "subject", "revoked_at"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    subject: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    jurisdiction_code: Mapped[str] = mapped_column(division_code())
    """``""`` for national roles."""
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PolicyState(Base):
    """One row; ``version`` moves with every role change so every worker reloads."""

    __tablename__ = "policy_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
