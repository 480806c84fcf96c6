"""Writing change events in the same transaction as the change (the transactional outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import OutboxEvent, OutboxState

SCHEMA_VERSION = 1


class ChangeKind(StrEnum):
    HOUSEHOLD_DEREGISTERED = "household_deregistered"
    VILLAGE_EXIT_MARKED = "village_exit_marked"
    COUNTY_EXIT_APPROVED = "county_exit_approved"
    RETURNED_TO_POVERTY = "returned_to_poverty"
    OBJECTION_RESOLVED = "objection_resolved"
    MEMBERS_CHANGED = "household_members_changed"
    EXIT_REVOKED = "exit_revoked"
    """A spot check found an exit wrong: the subject is registered poor again (错退)."""


async def emit(
    session: AsyncSession,
    *,
    kind: ChangeKind,
    subject_kind: str,
    subject_key: str,
    unit_code: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxEvent:
    """Append one event; its position is taken under the counter row's lock until commit."""
    position = (
        await session.execute(
            update(OutboxState)
            .where(OutboxState.id == 1)
            .values(position=OutboxState.position + 1)
            .returning(OutboxState.position)
        )
    ).scalar_one()
    event = OutboxEvent(
        position=position,
        event_id=str(uuid.uuid4()),
        kind=kind.value,
        schema_version=SCHEMA_VERSION,
        subject_kind=subject_kind,
        subject_key=subject_key,
        unit_code=unit_code,
        payload=payload,
        created_at=now,
    )
    session.add(event)
    return event
