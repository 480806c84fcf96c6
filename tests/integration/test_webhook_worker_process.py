"""`tuopin deliver` killed between a change and its delivery: after a restart the event
arrives again under the same id, the receiver applies it once, and each subject's events
are applied in order. The receiver is a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.db.session import create_engine
from api.domain import webhooks as rules
from api.services import outbox
from api.services.outbox import ChangeKind
from tests.conftest import Database, fresh_database

TUOPIN = str(Path(sys.executable).with_name("tuopin"))
SECRET = "loopback-receiver-secret"
NOW = datetime(2016, 12, 1, 9, tzinfo=UTC)
SUBJECTS = ["A", "B", "A", "A", "B", "C"]


@dataclass
class Receiver:
    """Applies each event id once; holds the very first request until released."""

    first_arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    received: list[tuple[str, int, int]] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, headers: dict[str, str], body: bytes) -> int:
        if not rules.verify(SECRET, headers[rules.SIGNATURE_HEADER], body, now=int(time.time())):
            return 401
        event = json.loads(body)
        assert headers[rules.EVENT_ID_HEADER] == event["id"]
        attempt = int(headers[rules.ATTEMPT_HEADER])
        with self.lock:
            self.received.append((event["id"], event["position"], attempt))
            if event["id"] not in self.applied:  # once in effect: dedupe by event id
                self.applied[event["id"]] = event
                self.order.append((event["subject"]["key"], event["position"]))
            hold = not self.first_arrived.is_set()
            self.first_arrived.set()
        if hold:  # applied, but the answer never reaches the killed worker
            self.release.wait(timeout=60)
        return 204


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            names = (rules.SIGNATURE_HEADER, rules.EVENT_ID_HEADER, rules.ATTEMPT_HEADER)
            headers = {name: self.headers.get(name, "") for name in names}
            status = state.take(headers, body)
            try:
                self.send_response(status)
                self.end_headers()
            except OSError:
                pass  # the worker died while we held the request

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


async def _seed(url: str, hook: str) -> list[models.OutboxEvent]:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            session.add(
                models.WebhookSubscription(
                    url=hook,
                    kinds=[],
                    unit_code="23",
                    secret=SECRET,
                    active=True,
                    enqueued_through=0,
                    created_by="integrator@23",
                    created_at=NOW,
                )
            )
            return [
                await outbox.emit(
                    session,
                    kind=ChangeKind.HOUSEHOLD_DEREGISTERED,
                    subject_kind="household",
                    subject_key=key,
                    unit_code="230231101001",
                    payload={"n": n},
                    now=NOW,
                )
                for n, key in enumerate(SUBJECTS)
            ]
    finally:
        await engine.dispose()


async def _undelivered(url: str) -> int:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session:
            total = await session.scalar(
                select(func.count()).where(
                    models.WebhookDelivery.status != models.DeliveryStatus.DELIVERED
                )
            )
            delivered = await session.scalar(select(func.count(models.WebhookDelivery.id)))
            return int(total or 0) + (len(SUBJECTS) - int(delivered or 0))
    finally:
        await engine.dispose()


def _worker(url: str, workdir: Path, log: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
    env["TUOPIN_DATABASE_URL"] = url
    with (workdir / log).open("wb") as output:
        return subprocess.Popen(
            [
                TUOPIN,
                "deliver",
                "--lease-seconds",
                "2",
                "--timeout-seconds",
                "1",
                "--poll-seconds",
                "0.1",
            ],
            cwd=workdir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_a_killed_worker_delivers_after_restart_once_in_effect_and_in_order(
    database: Database,
    tmp_path: Path,
    receiver: tuple[Receiver, str],
) -> None:
    state, hook = receiver
    with fresh_database(database.backend, tmp_path, "deliver") as url:
        events = asyncio.run(_seed(url, hook))
        first = _worker(url, tmp_path, "first.log")
        try:
            assert state.first_arrived.wait(timeout=30), "the worker sent nothing"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        held_id = state.received[0][0]
        assert asyncio.run(_undelivered(url)) > 0  # the held event is not marked delivered

        second = _worker(url, tmp_path, "second.log")
        try:
            deadline = time.monotonic() + 30
            while asyncio.run(_undelivered(url)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert asyncio.run(_undelivered(url)) == 0, "the restarted worker did not finish"
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=10)
        output = (tmp_path / "second.log").read_text()
        assert second.returncode == 0, output  # SIGTERM ends the worker cleanly
        assert "delivered" in output

    ids = [event_id for event_id, _, _ in state.received]
    assert ids.count(held_id) == 2  # sent again after the restart, under the same id
    assert [attempt for event_id, _, attempt in state.received if event_id == held_id] == [1, 2]
    assert sorted(state.applied) == sorted(e.event_id for e in events)  # each once in effect
    for subject in set(SUBJECTS):
        positions = [p for key, p in state.order if key == subject]
        assert positions == sorted(positions)
        assert len(positions) == SUBJECTS.count(subject)
