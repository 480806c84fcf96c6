"""Reading the outbox: the feed in position order, and each subject's sync status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import OutboxEvent, SyncAck
from api.db.repositories.scoping import in_scope, in_subtree
from api.domain.jurisdictions import Scope


async def feed(
    session: AsyncSession,
    *,
    scope: Scope,
    after: int,
    first: int,
    kinds: Sequence[str],
    under: str | None,
) -> list[OutboxEvent]:
    query = select(OutboxEvent).where(
        OutboxEvent.position > after, in_scope(OutboxEvent.unit_code, scope)
    )
    if kinds:
        query = query.where(OutboxEvent.kind.in_(kinds))
    if under:
        query = query.where(in_subtree(OutboxEvent.unit_code, under))
    return list(await session.scalars(query.order_by(OutboxEvent.position).limit(first + 1)))


async def event(session: AsyncSession, position: int, *, scope: Scope) -> OutboxEvent | None:
    return await session.scalar(
        select(OutboxEvent).where(
            OutboxEvent.position == position, in_scope(OutboxEvent.unit_code, scope)
        )
    )


async def latest_for_subjects(
    session: AsyncSession, subjects: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[OutboxEvent, SyncAck | None]]:
    """The newest event of each (subject kind, key), with the newest answer to it."""
    if not subjects:
        return {}
    newest = (
        select(func.max(OutboxEvent.position))
        .where(tuple_(OutboxEvent.subject_kind, OutboxEvent.subject_key).in_(subjects))
        .group_by(OutboxEvent.subject_kind, OutboxEvent.subject_key)
    )
    events = list(
        await session.scalars(select(OutboxEvent).where(OutboxEvent.position.in_(newest)))
    )
    acks = await session.scalars(
        select(SyncAck)
        .where(SyncAck.position.in_([e.position for e in events]))
        .order_by(SyncAck.id)
    )
    answer = {ack.position: ack for ack in acks}  # later answers win
    return {(e.subject_kind, e.subject_key): (e, answer.get(e.position)) for e in events}
