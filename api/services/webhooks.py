"""Integrators' webhook subscriptions: create, pause or resume, redrive dead letters, list."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.authz.policy import Action
from api.db.models import (
    DeliveryStatus,
    OutboxEvent,
    OutboxState,
    WebhookDelivery,
    WebhookSubscription,
)
from api.db.repositories.scoping import in_scope
from api.domain import webhooks as rules
from api.domain.jurisdictions import validate_code
from api.domain.roles import Principal
from api.errors import NotFound
from api.services import access, ledger
from api.services.outbox import ChangeKind
from api.services.workflow import Env

KNOWN_KINDS = frozenset(k.value for k in ChangeKind)


@dataclass(frozen=True, slots=True)
class Created:
    subscription: WebhookSubscription
    secret: str


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    pending: int = 0
    delivered: int = 0
    dead: int = 0


async def create(
    env: Env,
    principal: Principal,
    *,
    url: str,
    kinds: list[str],
    jurisdiction: str | None,
    secret: str | None,
    from_start: bool,
    allow_http: bool,
) -> Created:
    """Subscribe ``url`` to changes in ``jurisdiction`` (the integrator's own if empty).

    Delivery starts with changes committed after this call, or with the first
    change ever when ``from_start`` is set (to fill a new receiver).
    """
    url = rules.validate_url(url, allow_http=allow_http)
    kinds = rules.validate_kinds(kinds, KNOWN_KINDS)
    unit = validate_code(jurisdiction) if jurisdiction else principal.jurisdiction
    secret = rules.validate_secret(secret) if secret is not None else secrets.token_urlsafe(32)
    await access.authorize(
        env.session, env.authorizer, principal, domain=unit, obj="webhooks", action=Action.MANAGE
    )
    start: int | None = 0
    if not from_start:
        start = await env.session.scalar(select(OutboxState.position).where(OutboxState.id == 1))
    subscription = WebhookSubscription(
        url=url,
        kinds=kinds,
        unit_code=unit,
        secret=secret,
        active=True,
        enqueued_through=int(start or 0),
        created_by=principal.subject,
        created_at=env.now,
    )
    env.session.add(subscription)
    await env.session.flush()
    await ledger.append(
        env.session,
        actor=principal,
        action="create_webhook",
        object_kind="webhook",
        object_id=subscription.id,
        unit_code=unit,
        at=env.now,
        detail={"url": url, "kinds": kinds, "fromStart": from_start},
    )
    return Created(subscription, secret)


async def _managed(env: Env, principal: Principal, subscription_id: int) -> WebhookSubscription:
    subscription = await env.session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id,
            in_scope(WebhookSubscription.unit_code, principal.read_scope()),
        )
    )
    if subscription is None:
        raise NotFound("webhook subscription", str(subscription_id))
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=subscription.unit_code,
        obj="webhooks",
        action=Action.MANAGE,
    )
    return subscription


async def set_active(
    env: Env, principal: Principal, *, subscription_id: int, active: bool
) -> WebhookSubscription:
    """Pause or resume; a paused subscription keeps collecting, and sends on resume."""
    subscription = await _managed(env, principal, subscription_id)
    subscription.active = active
    await ledger.append(
        env.session,
        actor=principal,
        action="resume_webhook" if active else "pause_webhook",
        object_kind="webhook",
        object_id=subscription.id,
        unit_code=subscription.unit_code,
        at=env.now,
    )
    return subscription


async def redrive(env: Env, principal: Principal, *, subscription_id: int) -> int:
    """Send the dead letters again from a fresh attempt count; returns how many."""
    subscription = await _managed(env, principal, subscription_id)
    result = await env.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status == DeliveryStatus.DEAD,
        )
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=env.now)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    await ledger.append(
        env.session,
        actor=principal,
        action="redrive_webhook",
        object_kind="webhook",
        object_id=subscription.id,
        unit_code=subscription.unit_code,
        at=env.now,
        detail={"deliveries": count},
    )
    return count


async def visible(
    session: AsyncSession, principal: Principal, authorizer: Authorizer
) -> list[WebhookSubscription]:
    """The subscriptions inside the integrator's jurisdiction, oldest first."""
    await access.authorize(
        session,
        authorizer,
        principal,
        domain=principal.jurisdiction,
        obj="webhooks",
        action=Action.MANAGE,
    )
    return list(
        await session.scalars(
            select(WebhookSubscription)
            .where(in_scope(WebhookSubscription.unit_code, principal.read_scope()))
            .order_by(WebhookSubscription.id)
        )
    )


async def counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, DeliveryCounts]:
    """Deliveries per status for each subscription, in one query."""
    rows = await session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.subscription_id.in_(ids))
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)
    )
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    for subscription_id, status, n in rows:
        found[subscription_id][DeliveryStatus(status).value] = int(n)
    return {i: DeliveryCounts(**found[i]) for i in ids}


async def dead_letters(
    session: AsyncSession, subscription_id: int, *, limit: int
) -> list[tuple[WebhookDelivery, OutboxEvent]]:
    """The oldest dead letters of one subscription, with their events."""
    rows = await session.execute(
        select(WebhookDelivery, OutboxEvent)
        .join(OutboxEvent, OutboxEvent.position == WebhookDelivery.position)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == DeliveryStatus.DEAD,
        )
        .order_by(WebhookDelivery.position)
        .limit(limit)
    )
    return [(delivery, event) for delivery, event in rows]
