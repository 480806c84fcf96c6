"""The outermost middleware: every request gets an id, a line in the log, a place in
the metrics and, with tracing on, a span.

The id is the incoming ``X-Request-Id`` when sane (``request_id.accepted``) and is
echoed in the response. The log line (logger ``tuopin.request``, INFO) carries method,
path, status, duration_ms and, for /graphql, the operation's name and type; scrapes
and health checks are logged at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability import metrics, operations
from api.observability.request_id import HEADER, RequestRecord, accepted, current

log = logging.getLogger("tuopin.request")
QUIET = frozenset({"/metrics", "/healthz", "/readyz"})
"""Paths polled by machines: their lines are DEBUG."""
OTHER_ROUTE = "other"


class AnsweredSpan(Protocol):
    def answered(self, status: int) -> None: ...


SpanFactory = Callable[[Scope], AbstractContextManager[AnsweredSpan]]
"""A request's span (``tracing.Tracing.request_span``), told the status at the end."""


class ObserveRequests:
    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        request_span: SpanFactory | None = None,
    ) -> None:
        self._app = app
        self._routes = routes
        self._span = request_span

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        record = RequestRecord(accepted(dict(scope["headers"]).get(HEADER.encode())))
        token = current.set(record)
        status = 500
        echoed = (HEADER.encode(), record.request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        span = self._span(scope) if self._span is not None else nullcontext()
        try:
            with span as traced:
                try:
                    await self._app(scope, receive, send_with_id)
                finally:
                    if traced is not None:
                        traced.answered(status)
        finally:
            self._observe(scope, record, status, time.perf_counter() - started)
            current.reset(token)

    def _observe(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        route = self._route(scope)
        operation, kind = "", ""
        if route == "/graphql":
            name = record.operation_name
            operation = operations.INVALID if name is None else operations.label(name)
            kind = record.operation_type or ""
        metrics.REQUEST_SECONDS.labels(route, operation, kind).observe(seconds)
        metrics.REQUESTS.labels(route, str(status)).inc()
        if record.refusal is not None:
            metrics.count_error(record.refusal, "http")
        path: str = scope["path"]
        log.log(
            logging.DEBUG if path in QUIET else logging.INFO,
            "%s %s %d",
            scope["method"],
            path,
            status,
            extra={
                "method": scope["method"],
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "operation_name": record.operation_name,
                "operation_type": record.operation_type,
            },
        )

    def _route(self, scope: Scope) -> str:
        """The matching route's template (bounded label), not the path itself."""
        if scope["path"] == metrics.PATH:
            return metrics.PATH
        for route in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", OTHER_ROUTE)
        return OTHER_ROUTE
