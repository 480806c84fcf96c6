"""The request path of compiled operations, in front of Strawberry.

``CompiledOperations.answer`` takes a POST /graphql request and either answers it (a
query with one statement, ``plans``; a planned mutation through its resolver,
``mutations``) or returns None, and the general path answers as it always has. It answers
only when nothing the general path does would differ:

- the body is a JSON object with a query, maybe an operation name and variables, and
  nothing else (no ``extensions``);
- a principal signed in; for a query, one whose holding the authorizer already knows as
  recorded and current (the policy watch keeps it so), the public and a holding not yet
  read going to the general path, which reads and caches it; a mutation's context checks
  the holding as the general path's does (``api.app.context_of``);
- the document is a planned query or mutation and the variables coerce;
- every argument passes the checks the general path makes.

The request's record (``api.observability``) gets the operation's name and type, as the
general path's ``OperationNames`` writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson
from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.responses import Response

from api.authz.enforcer import Authorizer
from api.compiled.mutations import MutationPlan
from api.compiled.plans import OperationPlan, PlanCache
from api.compiled.selection import Unplannable
from api.compiled.sql import Inputs
from api.domain.roles import Principal
from api.observability import metrics
from api.observability.request_id import current
from api.procedure_files import ProcedureBook
from api.resolvers.context import Context
from api.services.access import acting_key

_KEYS = frozenset({"query", "operationName", "variables"})
log = logging.getLogger("tuopin.compiled")


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    return None


class CompiledOperations:
    """Plans, the context a mutation runs in, and a pool of asyncpg connections of its
    own for the reads.

    The pool skips asyncpg's reset on release (a round trip: ``RESET ALL``, ``UNLISTEN``,
    ...): a compiled read is one SELECT in autocommit and leaves nothing in the session
    to reset. Its connections count against PostgreSQL's ``max_connections`` beside the
    engine's (docs/deployment.md).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        book: ProcedureBook,
        authorizer: Authorizer,
        *,
        dsn: str,
        pool_size: int,
        context: Callable[[Principal], Awaitable[Context]],
        reads: bool = True,
        mutations: bool = True,
    ) -> None:
        self._plans = PlanCache(schema, book)
        self._context = context
        self._reads = reads
        self._mutations = mutations
        self._authorizer = authorizer
        self._dsn = dsn
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        # Made here, in the worker's lifespan, not at import: under several workers each
        # metric child is a file of the process that makes it.
        self._answered = metrics.COMPILED.labels("read")
        self._declined = metrics.COMPILED.labels("general")
        self._failed = metrics.COMPILED.labels("failed")
        self._in_use = metrics.POOL_CHECKED_OUT.labels("compiled")
        self._mutated = metrics.COMPILED.labels("mutation")

    async def start(self) -> None:
        if not self._reads:
            return  # planned mutations run on the engine's pool
        # No connection at start (min_size 0): the app starts, and /readyz says so,
        # while the database is away, as with the engine's pool.
        # JIT off: a compiled read is a small indexed statement, and the planner's cost of
        # a generic plan (which it compares with custom ones) crossed jit_above_cost at
        # 10M households, adding 20 ms of compilation to a 0.6 ms statement.
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=self._pool_size,
            reset=_nothing_to_reset,
            server_settings={"jit": "off"},
        )
        metrics.POOL_LIMIT.labels("compiled").set(self._pool_size)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def answer(self, request: Request) -> Response | None:
        found = await self._planned(request)
        if found is None:
            self._declined.inc()
            return None
        plan, variables, principal = found
        if isinstance(plan, MutationPlan):
            return await self._mutate(plan, variables, principal)
        return await self._read(plan, variables, principal)

    async def _read(
        self, plan: OperationPlan, variables: dict[str, Any], principal: Principal
    ) -> Response | None:
        coerced = plan.coerce(variables)
        if coerced is None:
            self._declined.inc()
            return None
        scope = principal.read_scope()
        variant = plan.variant(principal, scope, coerced)
        if variant is None:
            self._declined.inc()
            return None
        inputs = Inputs(coerced, principal, scope.ranges())
        try:
            arguments = variant.statement.arguments(inputs)
        except Unplannable:
            self._declined.inc()
            return None
        _record("query", plan.name)
        assert self._pool is not None, "start() first"
        self._in_use.inc()
        try:
            async with self._pool.acquire() as connection:
                text: str = await connection.fetchval(variant.sql, *arguments)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            # Logged with its traceback and counted; the general path answers (and, if
            # the database is gone, reports it as every other read does).
            log.exception("a compiled read failed; the general path answers")
            self._failed.inc()
            return None
        finally:
            self._in_use.dec()
        self._answered.inc()
        return Response(b'{"data":' + text.encode() + b"}", media_type="application/json")

    async def _mutate(
        self, plan: MutationPlan, variables: dict[str, Any], principal: Principal
    ) -> Response | None:
        coerced = plan.coerce(variables)
        arguments = None if coerced is None else plan.arguments(coerced)
        if coerced is None or arguments is None:
            self._declined.inc()
            return None
        _record("mutation", plan.name)
        context = await self._context(principal)
        try:
            outcome = await plan.run(context, coerced, arguments)
        finally:
            await context.close()
        self._mutated.inc()
        body: dict[str, Any] = {"data": outcome.data}
        if outcome.errors:
            for error in outcome.errors:
                metrics.count_error(str((error.extensions or {}).get("code")), "graphql")
            body["errors"] = [error.formatted for error in outcome.errors]
        return Response(orjson.dumps(body), media_type="application/json")

    async def _planned(
        self, request: Request
    ) -> tuple[OperationPlan | MutationPlan, dict[str, Any], Principal] | None:
        """The plan, the request's variables and its principal, or None for the general
        path."""
        if not request.headers.get("content-type", "").startswith("application/json"):
            return None
        principal = request.scope.get("state", {}).get("principal")
        if principal is None:
            return None
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(body, dict) or not body.keys() <= _KEYS:
            return None
        query, name = body.get("query"), body.get("operationName")
        variables = body.get("variables")
        if variables is None:
            variables = {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            return None  # the general path says what is wrong with it ("variables": [] too)
        if name is not None and not isinstance(name, str):
            return None
        plan = self._plans.get(query, name)
        if plan is None:
            return None
        if isinstance(plan, MutationPlan):
            # Its context checks the holding as the general path's does (get_context).
            return (plan, variables, principal) if self._mutations else None
        authorizer, key = self._authorizer, acting_key(principal)
        if not (authorizer.watched and authorizer.is_loaded(key) and authorizer.holds_any(key)):
            return None
        return (plan, variables, principal) if self._reads else None


def _record(operation_type: str, name: str | None) -> None:
    """The request's record (api.observability), as the general path's OperationNames
    writes it."""
    record = current.get()
    if record is not None:
        record.operation_type = operation_type
        record.operation_name = name or ""
