"""The webhook worker: turn outbox events into deliveries, send them, record the outcome.

Each tick runs three short transactions and holds none open while it talks to
receivers:

1. *enqueue*: for every subscription, the committed events after its
   ``enqueued_through`` that match its kinds and jurisdiction become pending
   deliveries, and the mark moves on, in one transaction;
2. *claim*: the due pending deliveries that head their subject's queue get a lease
   and an attempt; only the head is claimable, so a subject's events go out in order;
3. *record*: each outcome is written; a failure waits ``base × 2^(attempt-1)``, and
   the last allowed failure makes a dead letter, which holds its subject until redriven.

A worker killed between sending and recording leaves a lease that runs out; the
next worker sends the same event again under the same event id. Delivery is thus
at least once, and receivers make it once in effect by deduplicating on the id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import and_, exists, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.db.models import (
    DeliveryStatus,
    OutboxEvent,
    OutboxState,
    WebhookDelivery,
    WebhookSubscription,
)
from api.db.repositories.scoping import in_scope
from api.domain import webhooks as rules
from api.domain.jurisdictions import Scope
from api.domain.roles import NATIONAL

log = logging.getLogger("tuopin.deliver")

Clock = Callable[[], datetime]
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    schedule: rules.RetrySchedule = field(default_factory=rules.RetrySchedule)
    lease: timedelta = timedelta(seconds=60)
    timeout_seconds: float = 10.0
    batch: int = 100
    enqueue_batch: int = 5_000


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: int
    attempt: int
    url: str
    secret: str
    event: OutboxEvent


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: int
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None


@dataclass(slots=True)
class Tick:
    enqueued: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.enqueued or self.delivered or self.retrying or self.dead)


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The body a receiver gets: the change as the pull feed shows it."""
    return {
        "id": event.event_id,
        "position": event.position,
        "kind": event.kind,
        "schemaVersion": event.schema_version,
        "subject": {"kind": event.subject_kind, "key": event.subject_key},
        "unitCode": event.unit_code,
        "occurredAt": event.created_at.isoformat(),
        "payload": event.payload,
    }


def _subtree(code: str) -> Scope:
    return Scope.all() if code == NATIONAL else Scope.of(code)


async def enqueue(session: AsyncSession, *, now: datetime, batch: int) -> int:
    """Create the pending deliveries of newly committed events; returns how many."""
    committed = int(
        await session.scalar(select(OutboxState.position).where(OutboxState.id == 1)) or 0
    )
    subscriptions = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.enqueued_through < committed)
        .order_by(WebhookSubscription.id)
        .with_for_update(skip_locked=True)
    )
    created = 0
    for subscription in subscriptions:
        upper = min(committed, subscription.enqueued_through + batch)
        matching = select(
            literal(subscription.id),
            OutboxEvent.position,
            OutboxEvent.subject_kind,
            OutboxEvent.subject_key,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            literal(now, WebhookDelivery.next_attempt_at.type),
        ).where(
            OutboxEvent.position > subscription.enqueued_through,
            OutboxEvent.position <= upper,
            in_scope(OutboxEvent.unit_code, _subtree(subscription.unit_code)),
        )
        if subscription.kinds:
            matching = matching.where(OutboxEvent.kind.in_(subscription.kinds))
        result = await session.execute(
            insert(WebhookDelivery).from_select(
                [
                    "subscription_id",
                    "position",
                    "subject_kind",
                    "subject_key",
                    "status",
                    "attempts",
                    "next_attempt_at",
                ],
                matching,
            )
        )
        created += int(result.rowcount)  # type: ignore[attr-defined]
        subscription.enqueued_through = upper
    await session.flush()
    return created


async def claim(session: AsyncSession, *, now: datetime, config: WorkerConfig) -> list[Claim]:
    """Lease the due deliveries that head their subject's queue."""
    earlier = aliased(WebhookDelivery)
    queued_before = exists().where(
        earlier.subscription_id == WebhookDelivery.subscription_id,
        earlier.subject_kind == WebhookDelivery.subject_kind,
        earlier.subject_key == WebhookDelivery.subject_key,
        earlier.position < WebhookDelivery.position,
        earlier.status != DeliveryStatus.DELIVERED,
    )
    free = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now)
    heads = (
        select(WebhookDelivery.id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookSubscription.active,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            free,
            ~queued_before,
        )
        .order_by(WebhookDelivery.position, WebhookDelivery.id)
        .limit(config.batch)
    )
    ids = list(await session.scalars(heads))
    if not ids:
        return []
    # The lease is taken only if still free: of two workers racing, one gets each row.
    leased = list(
        await session.scalars(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(ids),
                WebhookDelivery.status == DeliveryStatus.PENDING,
                free,
            )
            .values(
                lease_until=now + config.lease,
                attempts=WebhookDelivery.attempts + 1,
            )
            .returning(WebhookDelivery.id)
        )
    )
    rows = await session.execute(
        select(WebhookDelivery, WebhookSubscription, OutboxEvent)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(OutboxEvent, OutboxEvent.position == WebhookDelivery.position)
        .where(WebhookDelivery.id.in_(leased))
        .order_by(WebhookDelivery.position)
        .execution_options(populate_existing=True)
    )
    return [
        Claim(delivery.id, delivery.attempts, subscription.url, subscription.secret, event)
        for delivery, subscription, event in rows
    ]


async def send(client: httpx.AsyncClient, claimed: Claim, *, now: datetime) -> Outcome:
    """POST one signed delivery; any 2xx is success, anything else a failure."""
    body = orjson.dumps(envelope(claimed.event))
    headers = {
        "Content-Type": "application/json",
        rules.SIGNATURE_HEADER: rules.signature(claimed.secret, int(now.timestamp()), body),
        rules.EVENT_ID_HEADER: claimed.event.event_id,
        rules.ATTEMPT_HEADER: str(claimed.attempt),
    }
    try:
        response = await client.post(claimed.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return Outcome(claimed.delivery_id, claimed.attempt, False, None, reason)
    if response.is_success:
        return Outcome(claimed.delivery_id, claimed.attempt, True, response.status_code, None)
    return Outcome(
        claimed.delivery_id,
        claimed.attempt,
        False,
        response.status_code,
        f"HTTP {response.status_code} {response.reason_phrase}".strip(),
    )


async def record(
    session: AsyncSession, outcomes: list[Outcome], *, now: datetime, config: WorkerConfig
) -> Tick:
    """Write each outcome: delivered, due again after its backoff, or dead."""
    tick = Tick()
    for outcome in outcomes:
        values: dict[str, Any] = {"lease_until": None, "last_status_code": outcome.status_code}
        if outcome.ok:
            values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
            tick.delivered += 1
        else:
            values["last_error"] = (outcome.error or "failed")[:MAX_ERROR_LENGTH]
            delay = config.schedule.delay_after(outcome.attempt)
            if delay is None:
                values["status"] = DeliveryStatus.DEAD
                tick.dead += 1
            else:
                values["next_attempt_at"] = now + delay
                tick.retrying += 1
        # A delivery redriven or delivered by another worker meanwhile is left as it is.
        await session.execute(
            update(WebhookDelivery)
            .where(
                and_(
                    WebhookDelivery.id == outcome.delivery_id,
                    WebhookDelivery.attempts == outcome.attempt,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                )
            )
            .values(**values)
        )
    return tick


class Worker:
    """One delivery worker; run several against PostgreSQL, they share the work."""

    def __init__(
        self,
        sessions: Callable[[], AsyncSession],
        client: httpx.AsyncClient,
        *,
        clock: Clock,
        config: WorkerConfig | None = None,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.config = config or WorkerConfig()

    async def tick(self) -> Tick:
        async with self.sessions() as session, session.begin():
            enqueued = await enqueue(session, now=self.clock(), batch=self.config.enqueue_batch)
        async with self.sessions() as session, session.begin():
            claims = await claim(session, now=self.clock(), config=self.config)
        outcomes = list(
            await asyncio.gather(*(send(self.client, c, now=self.clock()) for c in claims))
        )
        for outcome in outcomes:
            if not outcome.ok:
                log.warning("delivery %s attempt %s failed: %s", *_fields(outcome))
        async with self.sessions() as session, session.begin():
            tick = await record(session, outcomes, now=self.clock(), config=self.config)
        tick.enqueued = enqueued
        return tick

    async def run(self, *, poll_seconds: float, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; sleep only when a tick found nothing to do."""
        while not stop.is_set():
            tick = await self.tick()
            if tick.busy:
                log.info(
                    "enqueued %d, delivered %d, retrying %d, dead %d",
                    tick.enqueued,
                    tick.delivered,
                    tick.retrying,
                    tick.dead,
                )
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)


def _fields(outcome: Outcome) -> tuple[int, int, str | None]:
    return outcome.delivery_id, outcome.attempt, outcome.error
