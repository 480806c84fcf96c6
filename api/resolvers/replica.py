"""Queries read the replica: the schema extension that moves a request's reads there.

Which reads go where (docs/deployment.md): the token's holding is checked before the
operation is parsed, on the primary, so a revoked holding stops at once; a query then
reads the replica; a mutation reads and writes the primary throughout, so its payload
shows what it wrote and idempotency replays find their first call's result. The
policy watch and the notifications that empty the unit cache come from the primary,
and the unit cache is refilled from it (``Context.read_primary``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.resolvers.context import Context


class ReplicaReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.replica is not None and _is_query(self):
            await context.read_from_replica()
        yield


def _is_query(extension: SchemaExtension) -> bool:
    try:
        return extension.execution_context.operation_type is OperationType.QUERY
    except RuntimeError:
        return False  # no such operation in the document: graphql-core will say so
