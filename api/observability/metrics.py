"""Prometheus metrics, served at /metrics in the text exposition format.

Per process (summed over ``tuopin serve`` workers in multiprocess mode, see
``api.observability.multiprocess``):

- ``tuopin_request_duration_seconds{route, operation, operation_type}``: a histogram per
  route template and, for /graphql, per operation name (see ``operations``);
- ``tuopin_requests_total{route, status}``;
- ``tuopin_errors_total{code, kind}``: every error answered, by ``ErrorCode``; ``kind``
  is ``graphql`` (top-level), ``payload`` (a mutation's expected error) or ``http``
  (a refusal before GraphQL: 401, 413, 431, a malformed request);
- ``tuopin_db_pool_checked_out{pool}``, ``tuopin_db_pool_limit{pool}``: connections
  in use and pool_size + max_overflow, per pool (``primary``, ``replica``).

Read from the database at scrape time, so that every worker tells the same truth:

- ``tuopin_outbox_head_position``: the newest change's position;
- ``tuopin_webhook_subscriptions_active``;
- ``tuopin_outbox_enqueue_lag_events``: for the active subscription furthest behind,
  how many committed changes the delivery worker has not looked at yet;
- ``tuopin_webhook_deliveries{status}``: pending and dead deliveries of active
  subscriptions (both found through the status index; delivered ones are not counted
  at every scrape, their table only grows);
- ``tuopin_webhook_oldest_pending_seconds``: the age of the change behind the oldest
  pending delivery (0 when none waits);
- ``tuopin_metrics_database_up``: 0 when those reads failed.

Who may read it: anyone in dev mode; in production only a request bearing
``TUOPIN_METRICS_TOKEN`` (401 otherwise), and nobody (404) while it is unset.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.config import Settings
from api.db.models import (
    DeliveryStatus,
    OutboxEvent,
    OutboxState,
    WebhookDelivery,
    WebhookSubscription,
)
from api.http_limits import error_response
from api.observability import multiprocess

PATH = "/metrics"
log = logging.getLogger("tuopin.metrics")

REQUEST_SECONDS = Histogram(
    "tuopin_request_duration_seconds",
    "Time from a request's arrival to its response's last byte.",
    ["route", "operation", "operation_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter("tuopin_requests", "Requests answered.", ["route", "status"])
ERRORS = Counter("tuopin_errors", "Errors answered, by ErrorCode.", ["code", "kind"])
COMPILED = Counter(
    "tuopin_compiled_operations",
    "POST /graphql requests on PostgreSQL by the path that answered them: read (one "
    "statement, api/compiled/), mutation (a planned mutation's resolver, its payload "
    "written as planned), general, or failed (the compiled statement failed, logged; the "
    "general path answered).",
    ["path"],
)
POOL_CHECKED_OUT = Gauge(
    "tuopin_db_pool_checked_out",
    "Database connections checked out of the pool.",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_LIMIT = Gauge(
    "tuopin_db_pool_limit",
    "Database connections the pool may open (pool_size + max_overflow).",
    ["pool"],
    multiprocess_mode="livesum",
)


def count_error(code: str, kind: str) -> None:
    ERRORS.labels(code, kind).inc()


def instrument_pool(engine: AsyncEngine, *, name: str, limit: int) -> None:
    """Count the engine's checked-out connections (pool events: no cost per statement)."""
    in_use = POOL_CHECKED_OUT.labels(name)
    POOL_LIMIT.labels(name).set(limit)

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(*_: object) -> None:
        in_use.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(*_: object) -> None:
        in_use.dec()


async def database_metrics(session: AsyncSession, *, now: datetime) -> list[Metric]:
    """What the outbox and the webhook deliveries look like now, read in one session."""
    head = (await session.scalar(select(OutboxState.position).where(OutboxState.id == 1))) or 0
    active, behind = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.max(head - WebhookSubscription.enqueued_through), 0),
            ).where(WebhookSubscription.active)
        )
    ).one()
    waiting = (
        select(WebhookDelivery.status, func.count(), func.min(OutboxEvent.created_at))
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(OutboxEvent, OutboxEvent.position == WebhookDelivery.position)
        .where(
            WebhookSubscription.active,
            WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.DEAD]),
        )
        .group_by(WebhookDelivery.status)
    )
    counts = {DeliveryStatus.PENDING: 0, DeliveryStatus.DEAD: 0}
    oldest: datetime | None = None
    for status, count, first in (await session.execute(waiting)).all():
        counts[DeliveryStatus(status)] = count
        if status == DeliveryStatus.PENDING:
            oldest = first
    deliveries = GaugeMetricFamily(
        "tuopin_webhook_deliveries",
        "Deliveries of active subscriptions waiting to be sent (pending) or given up (dead).",
        labels=["status"],
    )
    for status, count in counts.items():
        deliveries.add_metric([status.value], count)
    age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
    return [
        _gauge("tuopin_outbox_head_position", "Position of the newest change.", head),
        _gauge("tuopin_webhook_subscriptions_active", "Active webhook subscriptions.", active),
        _gauge(
            "tuopin_outbox_enqueue_lag_events",
            "Committed changes not yet looked at for the active subscription furthest behind.",
            behind,
        ),
        deliveries,
        _gauge(
            "tuopin_webhook_oldest_pending_seconds",
            "Age of the change behind the oldest pending delivery (0: none waits).",
            age,
        ),
    ]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _Fixed(Collector):
    def __init__(self, metrics: Sequence[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


def exposition(read: Sequence[Metric]) -> bytes:
    """This process's metrics (or every worker's, in multiprocess mode), then ``read``."""
    if multiprocess.enabled():
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(_Fixed(read))
    return generate_latest(registry) + generate_latest(scraped)


class MetricsRoute:
    """Serves /metrics ahead of the bearer middleware (its token is not a JWT)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self._app = app
        self._dev = settings.is_dev
        token = settings.metrics_token
        self._token = None if token is None else token.get_secret_value().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self._app(scope, receive, send)
            return
        response = self._refusal(dict(scope["headers"]).get(b"authorization"))
        if response is None:
            response = await self._metrics(scope)
        await response(scope, receive, send)

    def _refusal(self, header: bytes | None) -> Response | None:
        if self._dev:
            return None
        if self._token is None:
            return error_response(404, "Not Found", "NOT_FOUND")
        expected = b"Bearer " + self._token
        if header is None or not hmac.compare_digest(header, expected):
            headers = {"www-authenticate": 'Bearer realm="tuopin-metrics"'}
            return error_response(
                401, "/metrics needs its bearer token", "UNAUTHENTICATED", headers
            )
        return None

    async def _metrics(self, scope: Scope) -> Response:
        state = scope["app"].state
        sessions: async_sessionmaker[AsyncSession] = state.read_sessions
        up = 1
        try:
            async with sessions() as session:
                read = await database_metrics(session, now=state.clock())
        except Exception:
            log.warning("metrics: the database reads failed", exc_info=True)
            read, up = [], 0
        read.append(_gauge("tuopin_metrics_database_up", "Whether the reads succeeded.", up))
        return Response(exposition(read), media_type=CONTENT_TYPE_LATEST)
