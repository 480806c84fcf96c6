"""The integrators' side of the outbox: the pull feed and the national system's answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.authz.policy import Action
from api.db import chain
from api.db.models import OutboxEvent, SyncAck
from api.db.repositories import changes as change_repo
from api.domain.jurisdictions import validate_code
from api.domain.roles import Principal
from api.errors import NotFound, ValidationFailed
from api.services import access, ledger
from api.services.exits import Env, flush_or_conflict

MAX_FEED_PAGE = 1_000


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[OutboxEvent]
    has_next: bool


async def changes(
    env: Env,
    principal: Principal,
    *,
    after: int,
    first: int,
    kinds: Sequence[str],
    under: str | None,
) -> FeedPage:
    """Events after ``after`` in commit order, inside the integrator's jurisdiction."""
    if not 0 < first <= MAX_FEED_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_FEED_PAGE}", path=("first",))
    if after < 0:
        raise ValidationFailed("after is a position >= 0", path=("after",))
    if under is not None:
        validate_code(under)
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=under or principal.jurisdiction,
        obj="changes",
        action=Action.READ,
    )
    rows = await change_repo.feed(
        env.session,
        scope=principal.read_scope(),
        after=after,
        first=first,
        kinds=kinds,
        under=under,
    )
    return FeedPage(rows[:first], len(rows) > first)


async def acknowledge(
    env: Env, principal: Principal, *, position: int, accepted: bool, reason: str | None
) -> SyncAck:
    """Record the national system's answer to one event (the latest answer counts)."""
    if not accepted and not (reason and reason.strip()):
        raise ValidationFailed("a rejection says why", path=("reason",))
    event = await change_repo.event(env.session, position, scope=principal.read_scope())
    if event is None:
        raise NotFound("change", str(position))
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=event.unit_code,
        obj="changes",
        action=Action.ACKNOWLEDGE,
    )
    ack = SyncAck(
        position=position, accepted=accepted, reason=reason, by=principal.subject, at=env.now
    )
    env.session.add(ack)
    chain.note_row(env.session, "sync_ack", ack)
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action="acknowledge_change",
        object_kind="change",
        object_id=position,
        unit_code=event.unit_code,
        at=env.now,
        detail={"accepted": accepted, "reason": reason, "eventId": event.event_id},
    )
    return ack
