"""Appending to the insert-only ledger. Nothing in the code updates or deletes an event.

``actor`` is the acting principal, or a label for who acts without one: ``"public"``
for an anonymous objection, ``"bootstrap"`` for seeded role holdings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import AuditEvent
from api.domain.roles import Principal


async def append(
    session: AsyncSession,
    *,
    actor: Principal | str,
    action: str,
    object_kind: str,
    object_id: str | int,
    unit_code: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
    evidence_hashes: Sequence[str] = (),
) -> None:
    session.add(
        AuditEvent(
            **event(
                actor=actor,
                action=action,
                object_kind=object_kind,
                object_id=object_id,
                unit_code=unit_code,
                at=at,
                detail=detail,
                evidence_hashes=evidence_hashes,
            )
        )
    )


def event(
    *,
    actor: Principal | str,
    action: str,
    object_kind: str,
    object_id: str | int,
    unit_code: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
    evidence_hashes: Sequence[str] = (),
) -> dict[str, Any]:
    """The ledger row's values, for a writer that inserts it with other rows at once."""
    return {
        "at": at,
        "actor_subject": actor.subject if isinstance(actor, Principal) else actor,
        "actor_role": str(actor.role) if isinstance(actor, Principal) else actor,
        "actor_jurisdiction": actor.jurisdiction if isinstance(actor, Principal) else "",
        "action": action,
        "object_kind": object_kind,
        "object_id": str(object_id),
        "unit_code": unit_code,
        "detail": detail or {},
        "evidence_hashes": list(evidence_hashes),
    }
