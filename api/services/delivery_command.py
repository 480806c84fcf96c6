"""``tuopin deliver``: the webhook worker as a process, stopped cleanly by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta

import httpx

from api.config import Settings
from api.db.session import create_engine, session_factory
from api.domain.webhooks import RetrySchedule
from api.errors import ValidationFailed
from api.observability import logging as logs
from api.services.delivery import Worker, WorkerConfig


def _now() -> datetime:
    return datetime.now(UTC)


async def run_worker(
    settings: Settings,
    *,
    once: bool,
    poll_seconds: float,
    lease: timedelta,
    timeout_seconds: float,
    max_attempts: int,
    backoff: timedelta,
) -> None:
    if lease.total_seconds() <= timeout_seconds:
        raise ValidationFailed(
            "--lease-seconds must exceed --timeout-seconds, or a slow receiver's delivery "
            "would be claimed twice",
            path=("leaseSeconds",),
        )
    logs.configure(settings)  # JSON lines in production, as the API's
    config = WorkerConfig(
        schedule=RetrySchedule(
            base=backoff, cap=max(backoff, timedelta(hours=1)), max_attempts=max_attempts
        ),
        lease=lease,
        timeout_seconds=timeout_seconds,
    )
    engine = create_engine(settings.database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with httpx.AsyncClient(
            timeout=timeout_seconds, follow_redirects=False, trust_env=False
        ) as client:
            worker = Worker(session_factory(engine), client, clock=_now, config=config)
            if once:
                while (await worker.tick()).busy and not stop.is_set():
                    pass
                return
            logging.getLogger("tuopin.deliver").info("delivering; stop with Ctrl-C")
            await worker.run(poll_seconds=poll_seconds, stop=stop)
    finally:
        await engine.dispose()
