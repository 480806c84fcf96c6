"""Webhook delivery: filters, order per subject, backoff, dead letters, leases, signatures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain import webhooks as rules
from api.domain.roles import Principal, Role
from api.errors import NotFound, NotPermitted, ValidationFailed
from api.services import outbox, webhooks
from api.services.delivery import Worker, WorkerConfig, claim
from api.services.outbox import ChangeKind
from tests.scenarios import T0, env, official

SECRET = "s3cret-s3cret-s3cret"
BAIQUAN = "230231"  # 拜泉县
YIAN = "230223"  # 依安县


@dataclass
class Receiver:
    """A receiver that verifies signatures and applies each event id once."""

    fail_subjects: set[str] = field(default_factory=set)
    status: int = 204
    received: list[dict[str, object]] = field(default_factory=list)
    applied: dict[str, dict[str, object]] = field(default_factory=dict)
    clock: Callable[[], datetime] = lambda: T0

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        assert rules.verify(
            SECRET,
            request.headers[rules.SIGNATURE_HEADER],
            body,
            now=int(self.clock().timestamp()),
        )
        event = orjson.loads(body)
        assert request.headers[rules.EVENT_ID_HEADER] == event["id"]
        event["attempt"] = int(request.headers[rules.ATTEMPT_HEADER])
        self.received.append(event)
        if event["subject"]["key"] in self.fail_subjects:
            return httpx.Response(503)
        self.applied.setdefault(event["id"], event)
        return httpx.Response(self.status)

    def keys(self) -> list[tuple[str, int]]:
        return [(e["subject"]["key"], e["position"]) for e in self.received]  # type: ignore[index]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def worker_for(session: AsyncSession, receiver: Receiver, clock: Clock, **config: object) -> Worker:
    receiver.clock = clock
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle))

    def sessions() -> AsyncSession:
        return AsyncSession(
            bind=session.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    settings = WorkerConfig(
        schedule=rules.RetrySchedule(base=timedelta(seconds=10), max_attempts=3),
        **config,  # type: ignore[arg-type]
    )
    return Worker(sessions, client, clock=clock, config=settings)


async def change(
    session: AsyncSession,
    key: str,
    *,
    unit: str = BAIQUAN + "101001",
    kind: ChangeKind = ChangeKind.HOUSEHOLD_DEREGISTERED,
) -> models.OutboxEvent:
    event = await outbox.emit(
        session,
        kind=kind,
        subject_kind="household",
        subject_key=key,
        unit_code=unit,
        payload={"exitAttribute": "exited_supported"},
        now=T0,
    )
    await session.flush()
    return event


async def subscribe(
    session: AsyncSession,
    integrator: Principal,
    *,
    kinds: list[str] | None = None,
    jurisdiction: str | None = None,
    from_start: bool = False,
) -> models.WebhookSubscription:
    created = await webhooks.create(
        env(session),
        integrator,
        url="http://receiver.test/hook",
        kinds=kinds or [],
        jurisdiction=jurisdiction,
        secret=SECRET,
        from_start=from_start,
        allow_http=True,
    )
    return created.subscription


async def test_each_subscription_gets_the_changes_of_its_kinds_and_subtree(
    session: AsyncSession,
) -> None:
    integrator = await official(session, Role.INTEGRATOR, "23")
    before = await change(session, "H-before")
    everything = await subscribe(session, integrator, from_start=True)
    baiquan = await subscribe(session, integrator, jurisdiction=BAIQUAN)
    returns = await subscribe(session, integrator, kinds=["returned_to_poverty"])
    in_baiquan = await change(session, "H-1")
    in_yian = await change(session, "H-2", unit=YIAN + "101001")
    returned = await change(session, "H-3", kind=ChangeKind.RETURNED_TO_POVERTY)

    receiver, clock = Receiver(), Clock()
    tick = await worker_for(session, receiver, clock).tick()
    assert tick.delivered == tick.enqueued == 7

    deliveries = await session.execute(
        select(models.WebhookDelivery.subscription_id, models.WebhookDelivery.position)
    )
    by_subscription: dict[int, list[int]] = {}
    for subscription_id, position in deliveries:
        by_subscription.setdefault(subscription_id, []).append(position)
    # Events before the demo's own start at position 0; this test's events are ours.
    assert sorted(by_subscription[everything.id])[-4:] == [
        before.position,
        in_baiquan.position,
        in_yian.position,
        returned.position,
    ]
    assert sorted(by_subscription[baiquan.id]) == [in_baiquan.position, returned.position]
    assert by_subscription[returns.id] == [returned.position]


async def test_a_subjects_events_arrive_in_order_and_a_failure_waits_its_backoff(
    session: AsyncSession,
) -> None:
    integrator = await official(session, Role.INTEGRATOR, "23")
    subscription = await subscribe(session, integrator)
    first_a = await change(session, "A")
    first_b = await change(session, "B")
    second_a = await change(session, "A")
    receiver, clock = Receiver(fail_subjects={"A"}), Clock()
    worker = worker_for(session, receiver, clock)

    tick = await worker.tick()
    # Only the head of each subject's queue is sent: A's second waits behind its first.
    assert receiver.keys() == [("A", first_a.position), ("B", first_b.position)]
    assert (tick.delivered, tick.retrying) == (1, 1)

    clock.advance(seconds=9)
    assert not (await worker.tick()).busy  # A's retry is not due for 10 s
    clock.advance(seconds=1)
    receiver.fail_subjects.clear()
    await worker.tick()
    await worker.tick()
    assert receiver.keys()[2:] == [("A", first_a.position), ("A", second_a.position)]
    assert receiver.received[2]["attempt"] == 2
    counts = (await webhooks.counts(session, [subscription.id]))[subscription.id]
    assert (counts.pending, counts.delivered, counts.dead) == (0, 3, 0)


async def test_the_last_failure_makes_a_dead_letter_that_holds_its_subject_until_redriven(
    session: AsyncSession,
) -> None:
    integrator = await official(session, Role.INTEGRATOR, "23")
    subscription = await subscribe(session, integrator)
    first = await change(session, "A")
    second = await change(session, "A")
    receiver, clock = Receiver(fail_subjects={"A"}), Clock()
    worker = worker_for(session, receiver, clock)
    for wait in (0, 10, 20):  # max_attempts=3: attempts at +0, +10 s, +30 s
        clock.advance(seconds=wait)
        await worker.tick()
    assert [e["attempt"] for e in receiver.received] == [1, 2, 3]
    clock.advance(hours=2)
    assert not (await worker.tick()).busy  # dead: not sent again, and A's second is held
    dead = await webhooks.dead_letters(session, subscription.id, limit=10)
    assert [(d.position, d.attempts, d.last_status_code) for d, _ in dead] == [
        (first.position, 3, 503)
    ]

    receiver.fail_subjects.clear()
    e = env(session)
    assert await webhooks.redrive(e, integrator, subscription_id=subscription.id) == 1
    await worker.tick()
    await worker.tick()
    assert receiver.keys()[-2:] == [("A", first.position), ("A", second.position)]
    assert receiver.received[-2]["attempt"] == 1


async def test_a_lease_left_by_a_killed_worker_runs_out_and_the_event_is_sent_again(
    session: AsyncSession,
) -> None:
    integrator = await official(session, Role.INTEGRATOR, "23")
    await subscribe(session, integrator)
    event = await change(session, "A")
    receiver, clock = Receiver(), Clock()
    worker = worker_for(session, receiver, clock, lease=timedelta(seconds=30))
    async with worker.sessions() as s, s.begin():
        from api.services.delivery import enqueue

        await enqueue(s, now=clock(), batch=100)
    async with worker.sessions() as s, s.begin():
        claimed = await claim(s, now=clock(), config=worker.config)
    assert [c.event.position for c in claimed] == [event.position]
    # The worker "dies" here: it claimed, maybe sent, and never recorded.
    clock.advance(seconds=29)
    assert not (await worker.tick()).busy
    clock.advance(seconds=1)
    await worker.tick()
    assert receiver.keys() == [("A", event.position)]
    assert receiver.received[0]["attempt"] == 2
    assert receiver.received[0]["id"] == event.event_id


async def test_a_paused_subscription_collects_and_sends_on_resume(session: AsyncSession) -> None:
    integrator = await official(session, Role.INTEGRATOR, "23")
    subscription = await subscribe(session, integrator)
    e = env(session)
    await webhooks.set_active(e, integrator, subscription_id=subscription.id, active=False)
    await change(session, "A")
    receiver, clock = Receiver(), Clock()
    worker = worker_for(session, receiver, clock)
    assert (await worker.tick()).enqueued == 1
    assert receiver.received == []
    await webhooks.set_active(e, integrator, subscription_id=subscription.id, active=True)
    await session.flush()
    assert (await worker.tick()).delivered == 1


@pytest.mark.parametrize(
    ("role", "unit", "target", "error"),
    [
        (Role.INTEGRATOR, "23", BAIQUAN, None),
        (Role.COUNTY_LEADING_GROUP, BAIQUAN, BAIQUAN, NotPermitted),
        (Role.INTEGRATOR, "37", BAIQUAN, NotPermitted),
    ],
    ids=["integrator-in-own-province", "wrong-role", "out-of-jurisdiction"],
)
async def test_only_integrators_subscribe_and_only_inside_their_jurisdiction(
    session: AsyncSession, role: Role, unit: str, target: str, error: type[Exception] | None
) -> None:
    who = await official(session, role, unit)
    if error is None:
        subscription = await subscribe(session, who, jurisdiction=target)
        assert subscription.unit_code == target
        listed = await webhooks.visible(session, who, env(session).authorizer)
        assert subscription.id in [s.id for s in listed]
        return
    with pytest.raises(error):
        await subscribe(session, who, jurisdiction=target)


async def test_another_provinces_integrator_cannot_see_or_manage_a_subscription(
    session: AsyncSession,
) -> None:
    heilongjiang = await official(session, Role.INTEGRATOR, "23")
    shandong = await official(session, Role.INTEGRATOR, "37")
    subscription = await subscribe(session, heilongjiang)
    e = env(session)
    assert subscription.id not in [
        s.id for s in await webhooks.visible(session, shandong, e.authorizer)
    ]
    with pytest.raises(NotFound):
        await webhooks.redrive(e, shandong, subscription_id=subscription.id)
    with pytest.raises(NotFound):
        await webhooks.set_active(e, shandong, subscription_id=subscription.id, active=False)


@pytest.mark.parametrize(
    ("url", "kinds", "secret", "path"),
    [
        ("ftp://receiver.test/hook", [], SECRET, "url"),
        ("https://user:pw@receiver.test/hook", [], SECRET, "url"),
        ("https:///hook", [], SECRET, "url"),
        ("https://receiver.test/hook", ["exit_everything"], SECRET, "kinds"),
        ("https://receiver.test/hook", [], "short", "secret"),
    ],
)
async def test_bad_subscriptions_are_refused_with_the_field_named(
    session: AsyncSession, url: str, kinds: list[str], secret: str, path: str
) -> None:
    integrator = await official(session, Role.INTEGRATOR, "23")
    with pytest.raises(ValidationFailed) as refused:
        await webhooks.create(
            env(session),
            integrator,
            url=url,
            kinds=kinds,
            jurisdiction=None,
            secret=secret,
            from_start=False,
            allow_http=False,
        )
    assert refused.value.path == (path,)
    count = await session.scalar(select(models.WebhookSubscription.id).limit(1))
    assert count is None
