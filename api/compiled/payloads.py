"""A mutation's payload, written from the objects its resolver returned.

Planned once per document: for every type the payload may be at run time, the fields the
selection asks of it. A field is planned when it is

- ``__typename``;
- a plain field: an attribute of the Strawberry object, without a resolver or arguments;
- a node's ``id`` (the object's own id in a global ID, as ``relay.Node`` writes it);
- one of ``RESOLVED``: resolvers that read nothing but the request's context and take no
  arguments.

Anything else raises ``Unplannable`` and the general path answers. Values are written with
the GraphQL type's own ``serialize``, so a date or an enum reads as the general path
writes it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    SelectionSetNode,
    is_abstract_type,
)
from strawberry import relay
from strawberry.relay import to_base64
from strawberry.types.base import has_object_definition

from api.compiled.selection import BACKREF, Document, Unplannable

RESOLVED = frozenset(
    {
        ("ExitApplication", "currentStage"),
        ("ExitApplication", "procedure"),
        ("ExitApplication", "stages"),
    }
)
"""Fields with a resolver that a payload may ask for: each reads the procedure version
(cached for the process, else through the context's loader) and nothing else."""


class NullValue(Exception):
    """A non-null field came out null: the general path reports it as an error."""


@dataclass(frozen=True, slots=True)
class Resolving:
    """What a resolver of ``RESOLVED`` is given as ``info``: the request's context."""

    context: Any


Writer = Callable[[Any, Resolving], Awaitable[Any]]


class PayloadPlanner:
    """Writers for a document's selections, one per (type, selection sets)."""

    def __init__(self, document: Document) -> None:
        self._document = document

    def writer(
        self, type_: GraphQLOutputType, selection_sets: tuple[SelectionSetNode, ...]
    ) -> Writer:
        if isinstance(type_, GraphQLNonNull):
            inner = self.writer(type_.of_type, selection_sets)

            async def required(value: Any, info: Resolving) -> Any:
                if value is None:
                    raise NullValue
                return await inner(value, info)

            return required
        if isinstance(type_, GraphQLList):
            item = self.writer(type_.of_type, selection_sets)

            async def listed(value: Any, info: Resolving) -> Any:
                if value is None:
                    return None
                return [await item(v, info) for v in value]

            return listed
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            serialize = type_.serialize

            async def leaf(value: Any, info: Resolving) -> Any:
                return None if value is None else serialize(value)

            return leaf
        if is_abstract_type(type_):
            schema = self._document.schema
            by_name = {
                runtime.name: self._object(runtime, selection_sets)
                for runtime in schema.get_possible_types(type_)
            }

            async def abstract(value: Any, info: Resolving) -> Any:
                if value is None:
                    return None
                return await by_name[_type_name(value)](value, info)

            return abstract
        assert isinstance(type_, GraphQLObjectType)
        return self._object(type_, selection_sets)

    def _object(
        self, runtime: GraphQLObjectType, selection_sets: tuple[SelectionSetNode, ...]
    ) -> Writer:
        selected = self._document.fields(runtime, selection_sets)
        fields = tuple(self._field(runtime, s) for s in selected)

        async def obj(value: Any, info: Resolving) -> Any:
            if value is None:
                return None
            return {key: await write(value, info) for key, write in fields}

        return obj

    def _field(self, runtime: GraphQLObjectType, selected: Any) -> tuple[str, Writer]:
        name = selected.name
        if name == "__typename":
            type_name = runtime.name

            async def typename(value: Any, info: Resolving) -> Any:
                return type_name

            return selected.key, typename
        definition = runtime.fields[name]
        field = definition.extensions.get(BACKREF)
        if field is None or definition.args or field.extensions or field.permission_classes:
            raise Unplannable(f"{runtime.name}.{name} is not planned in a payload")
        write = self.writer(definition.type, selected.selection_sets)
        get = _getter(runtime, name, field)

        async def value(obj: Any, info: Resolving) -> Any:
            got = get(obj, info)
            if inspect.isawaitable(got):
                got = await got
            return await write(got, info)

        return selected.key, value


def _getter(runtime: GraphQLObjectType, name: str, field: Any) -> Callable[[Any, Resolving], Any]:
    if field.base_resolver is None:
        attribute = field.python_name
        return lambda obj, info: getattr(obj, attribute)
    if name == "id" and _plain_node(runtime):
        type_name = runtime.name
        return lambda obj, info: to_base64(type_name, str(type(obj).resolve_id(obj, info=info)))
    if (runtime.name, name) in RESOLVED:
        resolve = field.base_resolver.wrapped_func
        return lambda obj, info: resolve(obj, info)
    raise Unplannable(f"{runtime.name}.{name} has a resolver not planned in a payload")


def _plain_node(runtime: GraphQLObjectType) -> bool:
    """A ``relay.Node`` whose id is its ``NodeID`` attribute (nothing overridden)."""
    definition = runtime.extensions.get(BACKREF)
    origin = getattr(definition, "origin", None)
    return (
        isinstance(origin, type)
        and issubclass(origin, relay.Node)
        and origin.resolve_id.__func__ is relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        and origin.resolve_typename.__func__ is relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
    )


def _type_name(value: Any) -> str:
    if not has_object_definition(value):
        raise TypeError(f"not a Strawberry object: {type(value).__name__}")
    name: str = value.__strawberry_definition__.name
    return name


def writers(
    document: Document, type_: GraphQLOutputType, sets: Iterable[SelectionSetNode]
) -> Writer:
    """The writer of a value of ``type_`` selected by ``sets``."""
    return PayloadPlanner(document).writer(type_, tuple(sets))
