"""The shared ``resolve_nodes`` for entities reached by ``node(id:)``: scoped in SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry

from api.db.repositories import nodes
from api.resolvers.context import Context
from api.resolvers.ids import parse_id

T = TypeVar("T")


async def resolve(
    info: strawberry.Info[Context, None],
    model: Any,
    node_ids: Iterable[str],
    make: Callable[[Any], T],
) -> list[T | None]:
    wanted = [parse_id(n) for n in node_ids]
    ids = [n for n in wanted if n is not None]
    scope = info.context.scope
    rows = await info.context.read(lambda s: nodes.scoped_by_ids(s, model, ids, scope=scope))
    return [make(rows[n]) if n is not None and n in rows else None for n in wanted]
