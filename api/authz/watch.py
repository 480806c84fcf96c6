"""The policy watch: PostgreSQL tells every process when role holdings change.

Without it every request reads the stored policy version (one round trip) to learn
whether its cached holdings and decisions still stand. Role changes bump the version
(api/services/access.py), and a trigger on ``policy_state`` notifies every change, made
by the application or by hand (migration 0008); PostgreSQL delivers it at commit. The
watch LISTENs on its own connection and hands each version to the Authorizer, which then
trusts it (``Authorizer.watched``) for reads and reads nothing per request.

Guarantees: a change reaches a process's reads once its notification is delivered,
within milliseconds of the commit; the process that made the change reads the version
itself until then. Writes do not depend on the watch: they check the stored version in
their own transaction (``access.recorded``). The watch also checks the stored version
every ``recheck_seconds``, and a lost connection makes every request read it again until
the watch listens again.

The same connection listens for changes of the administrative units (``tuopin_divisions``,
migration 0012) and empties the process's DivisionCache on each; the cache is trusted
only while the watch listens and, as each check confirms, the trigger that notifies is
in place and enabled ALWAYS (api/db/division_cache.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from api.authz.enforcer import Authorizer
from api.db.division_cache import DivisionCache

POLICY_CHANNEL = "tuopin_policy"
DIVISIONS_CHANNEL = "tuopin_divisions"
APPLICATION_NAME = "tuopin-policy-watch"
"""The watch's connection, as pg_stat_activity shows it."""
_VERSION_SQL = "SELECT version FROM policy_state WHERE id = 1"
_TRIGGER_SQL = (
    "SELECT tgenabled = 'A' FROM pg_trigger "
    "WHERE tgname = 'jurisdictions_notify' AND tgrelid = to_regclass('jurisdictions')"
)

log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PolicyWatch:
    def __init__(
        self,
        dsn: str,
        authorizer: Authorizer,
        *,
        divisions: DivisionCache | None = None,
        recheck_seconds: float = 10.0,
    ) -> None:
        self._dsn = dsn
        self._authorizer = authorizer
        self._divisions = divisions
        self._recheck = recheck_seconds
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self._lost = asyncio.Event()

    async def start(self) -> None:
        """Listen before returning, so requests served afterwards are watched."""
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            await self._connect()
        self._task = asyncio.create_task(self._run(), name="tuopin-policy-watch")

    async def stop(self) -> None:
        self._unwatched()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close()

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
        )
        self._lost.clear()
        connection.add_termination_listener(self._on_lost)
        await connection.add_listener(POLICY_CHANNEL, self._on_notify)
        if self._divisions is not None:
            await connection.add_listener(DIVISIONS_CHANNEL, self._on_divisions)
        self._connection = connection
        await self._check()  # after LISTEN: no change can fall between the two

    async def _check(self) -> None:
        assert self._connection is not None
        version = await self._connection.fetchval(_VERSION_SQL)
        self._trust(int(version or 0))
        if self._divisions is not None:
            # Units are trusted only while every change of them notifies: the trigger
            # may be missing (a database not migrated yet), disabled, or not fire for a
            # replica's writes unless enabled ALWAYS.
            notifying = await self._connection.fetchval(_TRIGGER_SQL) is True
            if notifying is not self._divisions.watched:
                self._divisions.watch(notifying)  # emptied either way

    def _trust(self, version: int) -> None:
        self._authorizer.sync(version)
        self._authorizer.watched = True

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._trust(int(payload))

    def _on_divisions(self, _connection: Any, _pid: int, _channel: str, _payload: str) -> None:
        assert self._divisions is not None
        self._divisions.changed()

    def _on_lost(self, _connection: Any) -> None:
        self._unwatched()
        self._lost.set()

    def _unwatched(self) -> None:
        self._authorizer.watched = False
        if self._divisions is not None:
            self._divisions.watch(False)

    async def _run(self) -> None:
        delay = 1.0
        while True:
            if self._connection is None or self._connection.is_closed():
                self._unwatched()
                try:
                    await self._connect()
                    delay = 1.0
                except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                    log.warning("policy watch: cannot listen (%s); retrying", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self._recheck)
            if self._lost.is_set():
                await self._close()
                continue
            try:
                await self._check()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("policy watch: check failed (%s)", exc)
                self._unwatched()
                await self._close()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await connection.close(timeout=2)
