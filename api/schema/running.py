"""Running one mutation: its own transaction, its idempotency key, its typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import strawberry

from api.domain.roles import Principal
from api.errors import TuopinError
from api.resolvers.context import Context
from api.schema.errors import ANONYMOUS, Error, error_of
from api.services import idempotency
from api.services.workflow import Env

R = TypeVar("R")
S = TypeVar("S")
Info = strawberry.Info[Context, None]
KEY = strawberry.argument(
    description="Retrying with the same key returns the first result and changes nothing."
)


async def run(
    info: Info,
    work: Callable[[Env, Principal], Awaitable[R]],
    wrap: Callable[[R], S],
    *,
    name: str,
    key: str | None,
    request: Any,
    public: bool = False,
) -> S | Error:
    """Run one use case; expected errors become payloads and change nothing."""
    principal = info.context.principal
    if principal is None and not public:
        return ANONYMOUS

    async def once(env: Env) -> R:
        # A key's record commits with the change: the use case must not write elsewhere.
        own = env if key is None else replace(env, autocommit=None)
        return await idempotency.run_once(
            own,
            subject=principal.subject if principal else "public",
            key=key,
            mutation=name,
            request=request,
            work=lambda: work(own, principal),  # type: ignore[arg-type]
        )

    try:
        result = await info.context.write(once)
    except TuopinError as exc:
        return error_of(exc)
    return wrap(result)
