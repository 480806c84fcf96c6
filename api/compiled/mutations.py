"""Planned mutations: the resolver called directly, its payload written as planned.

A mutation document whose one root field is one of ``MUTATIONS`` is planned once: its
arguments are taken per request as graphql-core coerces them, the field's own resolver
(Strawberry's, the one the general path calls) runs with a context built as the general
path builds it, and the payload is written by ``payloads``. The general path's parsing,
validation, extensions and executor are skipped; what the resolver does (the use case in
its own transaction, idempotency keys, typed errors) is the same code.

An exception the resolver lets out becomes a top-level error as on the general path: coded,
masked when nobody raised it on purpose, logged (``api.schema.error_reporting``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.types.field import StrawberryField

from api.compiled.payloads import NullValue, Resolving, Writer, writers
from api.compiled.selection import BACKREF, Document, Unplannable, coerce_variables
from api.execution.arguments import converter
from api.schema.error_reporting import coded, log_errors

MUTATIONS = frozenset({"performStage", "postNotice", "recordAcknowledgment"})
"""Mutations planned: each resolver reads only ``info.context`` and hands its use case to
``api.schema.running.run``."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response body's parts: ``data``, and the top-level errors (already coded)."""

    data: dict[str, Any] | None
    errors: list[GraphQLError]


class MutationPlan:
    def __init__(
        self, schema: GraphQLSchema, document: Document, operation: OperationDefinitionNode
    ) -> None:
        mutation = schema.mutation_type
        assert mutation is not None
        selected = document.fields(mutation, [operation.selection_set])
        if len(selected) != 1 or selected[0].name not in MUTATIONS:
            raise Unplannable("one root field of MUTATIONS is planned")
        self.name = operation.name.value if operation.name else None
        self._schema = schema
        self._definitions = tuple(operation.variable_definitions or ())
        root = selected[0]
        self.key = root.key
        nodes = [
            s
            for s in operation.selection_set.selections
            if isinstance(s, FieldNode) and (s.alias or s.name).value == root.key
        ]
        if len(nodes) != 1:  # the field under a fragment, or given twice: not planned
            raise Unplannable("the root field is given once, outside fragments")
        self._node = nodes[0]
        self._field: GraphQLField = mutation.fields[root.name]
        self._call = _resolver_call(schema, self._field)
        self._nullable = not isinstance(self._field.type, GraphQLNonNull)
        self._write: Writer = writers(document, self._field.type, root.selection_sets)
        self._path = Path(None, root.key, mutation.name)
        self._parent = mutation
        self._operation = operation
        self._fragments = dict(document.fragments)

    def coerce(self, variables: dict[str, Any]) -> VariableValues | None:
        return coerce_variables(self._schema, self._definitions, variables)

    def arguments(self, variables: VariableValues) -> dict[str, Any] | None:
        """The field's arguments as graphql-core gives them to the resolver; None when
        they do not coerce (the general path reports why)."""
        try:
            return get_argument_values(self._field, self._node, variables, hide_suggestions=True)
        except GraphQLError:
            return None

    async def run(
        self, context: Any, variables: VariableValues, arguments: dict[str, Any]
    ) -> Outcome:
        """Call the resolver and write its payload."""
        info = GraphQLResolveInfo(
            self._node.name.value,
            [self._node],
            self._field.type,
            self._parent,
            self._path,
            self._schema,
            self._fragments,
            None,
            self._operation,
            variables,
            context,
            _is_awaitable,
            None,
            _HELPERS,
        )
        try:
            payload = self._call(info, arguments)
            if inspect.isawaitable(payload):
                payload = await payload
            data = await self._write(payload, Resolving(context))
        except Exception as exc:  # reported as the general path reports it
            error = GraphQLError(
                f"Cannot return null for non-nullable field {self._parent.name}.{info.field_name}."
                if isinstance(exc, NullValue)
                else str(exc),
                nodes=[self._node],
                path=self._path.as_list(),
                original_error=exc,
            )
            log_errors([error])
            return Outcome({self.key: None} if self._nullable else None, [coded(error)])
        return Outcome({self.key: data}, [])


def _resolver_call(
    schema: GraphQLSchema, field: GraphQLField
) -> Callable[[GraphQLResolveInfo[Any], dict[str, Any]], Any]:
    """``call(info, arguments)``: what Strawberry's resolver wrapper does for ``field``
    (convert the arguments, call the resolver with ``info``), the conversion planned
    once (``api.execution.arguments``, which tests/unit/test_argument_conversion.py holds
    to Strawberry's for every field). A field with field extensions, permission classes or other
    reserved parameters than ``self`` and ``info`` is not planned."""
    strawberry_schema = schema._strawberry_schema  # type: ignore[attr-defined]
    definition: StrawberryField = field.extensions[BACKREF]
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or definition.permission_classes:
        raise Unplannable(f"{definition.name} is not planned")
    if resolver.parent_parameter or resolver.root_parameter or not resolver.info_parameter:
        raise Unplannable(f"{definition.name} is not planned")
    convert = converter(
        definition, strawberry_schema.config, strawberry_schema.schema_converter.scalar_registry
    )
    if convert is None:
        raise Unplannable(f"{definition.name}'s arguments are Strawberry's to convert")
    info_name = resolver.info_parameter.name
    with_self = resolver.self_parameter is not None
    info_class = strawberry_schema.config.info_class

    def call(info: GraphQLResolveInfo[Any], arguments: dict[str, Any]) -> Any:
        kwargs = convert(arguments)
        kwargs[info_name] = info_class(_raw_info=info, _field=definition)
        return resolver(None, **kwargs) if with_self else resolver(**kwargs)  # type: ignore[arg-type]

    return call


def _is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return inspect.isawaitable(value)


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*values))


_HELPERS = GraphQLResolveInfoHelpers(_gather, lambda values: None)
