"""Operations: /metrics, request ids and log lines, tracing, on both backends."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.config import LogFormat, Settings
from api.db.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from api.db.session import create_engine
from api.domain.roles import Role
from api.errors import ConfigurationError
from api.observability import multiprocess, operations, tracing
from api.observability.logging import JsonFormatter, RequestIdFilter, config
from api.services import outbox
from tests.api.conftest import own_settings, serving, token_for
from tests.api.test_production_mode import production
from tests.conftest import Database, fresh_database

NOW = datetime(2016, 11, 1, 9, tzinfo=UTC)


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value in an exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def post(client: httpx.AsyncClient, query: str, **headers: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers=headers)


COUNT = "tuopin_request_duration_seconds_count"


async def test_latency_is_counted_by_operation_name_and_type(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    await post(client, "query ObservedProbe { __typename }")
    await post(client, "query ObservedProbe { __typename }")
    await post(client, "{ __typename }")
    await post(client, "{ nosuchfield }")
    await post(client, "{ unparsed")
    after = await scrape(client)

    def grew(**labels: str) -> float:
        return sample(after, COUNT, route="/graphql", **labels) - sample(before, COUNT, **labels)

    assert grew(operation="ObservedProbe", operation_type="query") == 2
    assert grew(operation="anonymous", operation_type="query") == 1
    assert grew(operation="invalid", operation_type="") == 2  # not validated, not parsed
    assert (
        sample(
            after, "tuopin_request_duration_seconds_bucket", operation="ObservedProbe", le="+Inf"
        )
        >= 2
    )


async def test_operation_names_beyond_the_cap_are_other(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "MAX_NAMES", len(operations._known))
    before = await scrape(client)
    await post(client, "query NeverSeenBeforeName { __typename }")
    await post(client, "query " + "L" * 65 + " { __typename }")
    after = await scrape(client)
    assert sample(after, COUNT, operation="NeverSeenBeforeName") == 0
    assert sample(after, COUNT, operation="other") - sample(before, COUNT, operation="other") == 2


ERRORS = "tuopin_errors_total"


async def test_errors_are_counted_by_code_and_where(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    await post(client, "{ nosuchfield }")
    await post(client, "{ __typename }", Authorization="Bearer not-a-token")
    hide = """mutation { setWebhookActive(id: 987654321, active: false) { __typename } }"""
    answered = await post(client, hide, Authorization=f"Bearer {token_for(Role.INTEGRATOR, '23')}")
    assert answered.json()["data"]["setWebhookActive"]["__typename"] == "NotFoundError"
    after = await scrape(client)

    def grew(code: str, kind: str) -> float:
        return sample(after, ERRORS, code=code, kind=kind) - sample(
            before, ERRORS, code=code, kind=kind
        )

    assert grew("GRAPHQL_VALIDATION_FAILED", "graphql") == 1
    assert grew("UNAUTHENTICATED", "http") == 1
    assert grew("NOT_FOUND", "payload") == 1
    assert sample(after, "tuopin_requests_total", route="/graphql", status="401") >= 1


async def test_pool_use_follows_checkouts(settings: Settings) -> None:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        before = await scrape(client)
        limit = settings.database_pool_size + settings.database_max_overflow
        assert sample(before, "tuopin_db_pool_limit", pool="primary") >= limit
        async with app.state.engine.connect():
            held = await scrape(client)
        after = await scrape(client)
    in_use = "tuopin_db_pool_checked_out"
    assert sample(held, in_use, pool="primary") == sample(before, in_use, pool="primary") + 1
    assert sample(after, in_use, pool="primary") == sample(before, in_use, pool="primary")


@pytest.fixture
def outbox_url(database: Database, tmp_path: Path) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path, "metrics") as url:
        yield url


async def _waiting_work(url: str) -> None:
    """Five changes; an active subscription enqueued through the second, with the
    second pending since 90 s and the first dead; an inactive one far behind."""
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            for i in range(5):
                await outbox.emit(
                    session,
                    kind=outbox.ChangeKind.HOUSEHOLD_DEREGISTERED,
                    subject_kind="household",
                    subject_key=f"H{i}",
                    unit_code="23",
                    payload={},
                    now=NOW - timedelta(seconds=120 - 30 * i),
                )
            active = _subscription(active=True, through=2)
            session.add_all([active, _subscription(active=False, through=0)])
            await session.flush()
            session.add_all(
                [
                    _delivery(active.id, 1, DeliveryStatus.DEAD),
                    _delivery(active.id, 2, DeliveryStatus.PENDING),
                ]
            )
    finally:
        await engine.dispose()


def _subscription(*, active: bool, through: int) -> WebhookSubscription:
    return WebhookSubscription(
        url="http://127.0.0.1:9/hook",
        kinds=["household_deregistered"],
        unit_code="23",
        secret="s" * 32,
        active=active,
        enqueued_through=through,
        created_by="test",
        created_at=NOW,
    )


def _delivery(subscription: int, position: int, status: DeliveryStatus) -> WebhookDelivery:
    return WebhookDelivery(
        subscription_id=subscription,
        position=position,
        subject_kind="household",
        subject_key=f"H{position - 1}",
        status=status,
        attempts=1,
        next_attempt_at=NOW,
    )


async def test_outbox_lag_and_waiting_deliveries_are_read_at_scrape(
    outbox_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = own_settings(outbox_url, tmp_path_factory)
    async with serving(settings, clock=lambda: NOW) as client:
        empty = await scrape(client)
        await _waiting_work(outbox_url)
        busy = await scrape(client)
    assert sample(empty, "tuopin_outbox_head_position") == 0
    assert sample(empty, "tuopin_webhook_deliveries", status="pending") == 0
    assert sample(busy, "tuopin_metrics_database_up") == 1
    assert sample(busy, "tuopin_outbox_head_position") == 5
    assert sample(busy, "tuopin_webhook_subscriptions_active") == 1
    assert sample(busy, "tuopin_outbox_enqueue_lag_events") == 3  # the inactive one is not
    assert sample(busy, "tuopin_webhook_deliveries", status="pending") == 1
    assert sample(busy, "tuopin_webhook_deliveries", status="dead") == 1
    assert sample(busy, "tuopin_webhook_oldest_pending_seconds") == 90  # the second change


async def test_metrics_in_production_need_their_token(tmp_path: Path) -> None:
    closed = production(tmp_path)
    opened = closed.model_copy(update={"metrics_token": SecretStr("scrape-secret")})
    for settings, headers, status in [
        (closed, {}, 404),
        (closed, {"Authorization": "Bearer scrape-secret"}, 404),
        (opened, {}, 401),
        (opened, {"Authorization": "Bearer wrong"}, 401),
        (opened, {"Authorization": "Bearer scrape-secret"}, 200),
    ]:
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://t") as client,
        ):
            response = await client.get("/metrics", headers=headers)
        assert response.status_code == status, (headers, response.text)
    # The database (db.invalid) cannot be read: the process metrics are served anyway.
    assert sample(response.text, "tuopin_metrics_database_up") == 0
    assert sample(response.text, "tuopin_requests_total") >= 0


async def test_a_sane_request_id_is_kept_and_echoed_an_insane_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-Id": "lb-7f3a:42"})
    assert kept.headers["x-request-id"] == "lb-7f3a:42"
    for bad in ["two words", "x" * 129, "<script>", "中文".encode()]:
        replaced = await client.get("/healthz", headers={"X-Request-Id": bad})
        assert replaced.headers["x-request-id"] != bad
        assert len(replaced.headers["x-request-id"]) == 32
    fresh = [(await client.get("/healthz")).headers["x-request-id"] for _ in range(2)]
    assert fresh[0] != fresh[1]
    refused = await client.post("/graphql", content=b"x" * 2_000_000)  # 413 before GraphQL
    assert refused.status_code == 413
    assert len(refused.headers["x-request-id"]) == 32


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the project's loggers write, as the JSON formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tuopin")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_each_request_writes_one_json_line_with_its_id(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query LoggedProbe { __typename }"},
        headers={"X-Request-Id": "req-logged-1"},
    )
    assert response.status_code == 200
    [line] = [entry for entry in lines(json_lines) if entry["logger"] == "tuopin.request"]
    assert line["request_id"] == "req-logged-1"
    assert line["level"] == "info"
    assert line["message"] == "POST /graphql 200"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert (line["operation_name"], line["operation_type"]) == ("LoggedProbe", "query")
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] > 0
    assert datetime.fromisoformat(str(line["time"])).tzinfo is not None


async def test_the_masked_internal_error_is_logged_with_the_request_id(
    client: httpx.AsyncClient, json_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.db.repositories import jurisdictions

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(jurisdictions, "by_codes", broken)
    response = await client.post(
        "/graphql",
        json={"query": '{ jurisdiction(code: "999999") { name } }'},
        headers={"X-Request-Id": "req-broken-1"},
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert "fire" not in response.text
    logged = [entry for entry in lines(json_lines) if entry["level"] == "error"]
    assert [entry["request_id"] for entry in logged] == ["req-broken-1"]
    assert "RuntimeError: the disk is on fire" in str(logged[0]["exception"])


def test_log_format_follows_the_mode_unless_chosen() -> None:
    assert Settings().logs_as is LogFormat.TEXT
    assert Settings(mode="production").logs_as is LogFormat.JSON
    assert Settings(mode="production", log_format="text").logs_as is LogFormat.TEXT
    chosen = config(Settings(log_format="json", log_level="warning"))
    assert chosen["handlers"]["stderr"]["formatter"] == "json"
    assert chosen["loggers"]["uvicorn.error"]["level"] == "WARNING"
    assert chosen["loggers"]["uvicorn.access"]["propagate"] is True
    with pytest.raises(ValueError, match="log_level"):
        Settings(log_level="loud")


# Tracing


async def test_with_an_endpoint_requests_and_operations_are_traced(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    configure = tracing.configure
    monkeypatch.setattr(tracing, "configure", lambda s: configure(s, exporter=exporter))
    traced = settings.model_copy(update={"otel_endpoint": "http://127.0.0.1:9/v1/traces"})
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with serving(traced) as client:
        response = await client.post(
            "/graphql",
            json={"query": 'query Traced { jurisdiction(code: "23") { name children { code } } }'},
            headers={"traceparent": parent, "X-Request-Id": "req-traced"},
        )
    assert response.json()["data"]["jurisdiction"]["name"] == "黑龙江省"
    spans = {span.name: span for span in exporter.get_finished_spans()}
    request = spans["POST /graphql"]
    operation = spans["GraphQL Query: Traced"]
    assert request.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C  # continued
    assert request.attributes is not None
    assert request.attributes["tuopin.request_id"] == "req-traced"
    assert request.attributes["http.response.status_code"] == 200
    assert operation.parent is not None
    assert operation.parent.span_id == request.context.span_id
    assert {"GraphQL Parsing", "GraphQL Validation"} <= set(spans)
    assert request.resource.attributes["service.name"] == "tuopin"
    resolver_spans = [s for s in spans.values() if s.name.startswith("GraphQL Resolving")]
    assert resolver_spans
    assert not any(
        k.startswith("graphql.param.") for s in resolver_spans for k in s.attributes or {}
    )


def test_without_an_endpoint_nothing_of_opentelemetry_is_imported(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from api.app import create_app\n"
        "from api.config import Settings\n"
        f"create_app(Settings(state_dir={str(tmp_path)!r}))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "assert not loaded, loaded\n"
    )
    env = {"PATH": "/usr/bin:/bin", "TUOPIN_GC_TUNING": "false"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)


def test_an_endpoint_without_the_otel_extra_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(ConfigurationError, match=r"TUOPIN_OTEL_ENDPOINT.*tuopin\[otel\]"):
        create_app(Settings(otel_endpoint="http://collector:4318/v1/traces"))


# Multiprocess


def test_live_gauges_of_dead_workers_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(multiprocess.VARIABLE, str(tmp_path))
    dead = 2**22 + 12_345  # above any pid_max in use
    for name in [f"gauge_livesum_{dead}.db", "gauge_livesum_1.db", f"counter_{dead}.db"]:
        (tmp_path / name).write_bytes(b"")
    multiprocess.forget_dead_processes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"counter_{dead}.db",  # what a dead worker counted still counts
        "gauge_livesum_1.db",  # pid 1 is alive
    ]


def test_tuopin_serve_with_two_workers_sums_their_metrics(tmp_path: Path) -> None:
    from tests.api.test_server import TUOPIN, _free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUOPIN_", "PROMETHEUS"))}
    subprocess.run([TUOPIN, "migrate"], cwd=tmp_path, env=env, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [TUOPIN, "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env={**env, "TUOPIN_LOG_FORMAT": "json"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _two_workers_up(tmp_path / ".tuopin" / "metrics"):
            assert time.monotonic() < deadline, "two workers did not start within 30 s"
            time.sleep(0.2)
        for _ in range(20):  # a connection each: the workers share the socket's accepts
            httpx.post(f"{base}/graphql", json={"query": "query Counted { __typename }"})
        scrapes = [httpx.get(f"{base}/metrics").text for _ in range(6)]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    for text in scrapes:  # whichever worker answers, it tells the sum
        assert sample(text, COUNT, operation="Counted") == 20
        assert sample(text, "tuopin_db_pool_limit", pool="primary") == 2 * 40
    logged = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    requests = [line for line in logged if line["logger"] == "tuopin.request"]
    assert len(requests) == 20
    assert len({line["request_id"] for line in requests}) == 20
    assert any(line["logger"] == "uvicorn.error" for line in logged)  # uvicorn's, as JSON


def _two_workers_up(directory: Path) -> bool:
    """Both workers have entered their lifespan (each writes its pool gauge)."""
    return directory.is_dir() and len(list(directory.glob("gauge_livesum_*.db"))) == 2
