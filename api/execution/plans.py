"""Execution plans: what graphql-core works out per field on every request, worked out once.

graphql-core re-derives, for every field of every row, the field definition, the resolver,
the shape of the return type and the coerced arguments, and builds a resolve-info object
even for a plain attribute. A plan is built once per parsed operation (the parser cache
hands back the same document for the same query text) and holds, per field, its mode and
a chain of completers for its return type. Sub-selections are planned lazily per runtime
object type, exactly as graphql-core collects them.

Only operations whose meaning does not depend on the request are planned: no directives
anywhere (``@skip``/``@include`` read variables; ``@defer``/``@stream`` change delivery),
no introspection, no fragment arguments. Everything else runs on graphql-core unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, EnumMeta, auto
from typing import TYPE_CHECKING, Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    Visitor,
    is_leaf_type,
    is_non_null_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.language import FragmentDefinitionNode
from strawberry.relay import GlobalID
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import isoformat
from strawberry.types.field import StrawberryField

if TYPE_CHECKING:
    from api.execution.completers import Completer

INTROSPECTION = frozenset({"__schema", "__type"})
UNPLANNED: Any = object()
"""A FieldPlan's ``arguments`` before its first call."""
_ISO_TYPES = frozenset({datetime, date})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class Mode(Enum):
    TYPENAME = auto()
    """``__typename``: the parent type's name."""
    LEAF_ATTRIBUTE = auto()
    """A Strawberry field without resolver returning a scalar or enum: read and serialize."""
    ATTRIBUTE = auto()
    """A Strawberry field without resolver returning an object or list: read, complete."""
    RESOLVER = auto()
    """A Strawberry resolver without field extensions: called with arguments converted
    once per request instead of once per row."""
    GENERIC = auto()
    """Anything else (relay fields, extensions): the field's own resolve function."""


@dataclass(eq=False, slots=True)
class FieldPlan:
    key: str
    name: str
    details: list[FieldDetails]
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    field_def: GraphQLField
    return_type: GraphQLOutputType
    mode: Mode
    completer: Completer
    strawberry_field: StrawberryField | None
    attribute: str = ""
    serialize: Callable[[Any], Any] | None = None
    """For LEAF_ATTRIBUTE, and RESOLVER returning a leaf: the leaf's serializer, with
    identity fast paths (the completer chain is skipped for them)."""
    non_null: bool = False
    has_arguments: bool = False
    call: Callable[..., Any] | None = None
    """For RESOLVER: the resolver's function, and how it takes source and info."""
    passes_self: bool = False
    source_names: tuple[str, ...] = ()
    info_name: str | None = None
    info_free: bool = False
    """An attribute, or a resolver (given a LazyInfo), whose values complete without
    reading the resolve info (``_info_free``): none is built for it."""
    literal_arguments: bool = False
    """Every argument is written in the query as a scalar literal (or left to its
    default): the same on every request."""
    constant_arguments: dict[str, Any] | None = None
    """For RESOLVER with literal arguments: the converted arguments, once they are known
    to be immutable values (they are then converted once, not once per request)."""
    arguments: Any = UNPLANNED
    """For RESOLVER: its arguments' conversion (api/execution/arguments.py), made on the
    first call; None: Strawberry's convert_arguments."""
    quick: bool = False
    """For RESOLVER of a leaf with constant arguments, once they are known: completed by
    ``PlannedExecutor._leaf_resolver`` without a path or the completer chain."""
    object_type: GraphQLObjectType | None = None
    """For ATTRIBUTE and RESOLVER returning an object (not a list): its type, completed
    without the completer chain."""
    children: dict[str, list[FieldPlan]] = field(default_factory=dict)
    """Sub-selection plans per runtime object type name, built on first use."""
    flat: Any = None
    """For a list of objects whose fields are all plain leaves: what completers._flat_row
    needs, found once the first item has planned the fields; False once they are known
    not to be (None: not known yet)."""


@dataclass(eq=False, slots=True)
class OperationPlan:
    operation: OperationDefinitionNode
    root_type: GraphQLObjectType
    serial: bool
    fields: list[FieldPlan]


class _Unplannable(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, *_: object) -> None:
        self.found = True

    def enter_field(self, node: FieldNode, *_: object) -> None:
        if node.name.value in INTROSPECTION:
            self.found = True

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: object) -> None:
        if node.variable_definitions:
            self.found = True


def plannable(document: DocumentNode | OperationDefinitionNode | FragmentDefinitionNode) -> bool:
    visitor = _Unplannable()
    visit(document, visitor)
    return not visitor.found


class PlanCache:
    """Plans by operation node, bounded; an entry keeps its node alive so ids stay unique."""

    def __init__(self, maxsize: int = 512) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[
            tuple[int, int], tuple[OperationDefinitionNode, OperationPlan | None]
        ] = OrderedDict()

    def get(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode
    ) -> tuple[bool, OperationPlan | None]:
        entry = self._entries.get((id(schema), id(operation)))
        if entry is None or entry[0] is not operation:
            return False, None
        self._entries.move_to_end((id(schema), id(operation)))
        return True, entry[1]

    def put(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode, plan: OperationPlan | None
    ) -> None:
        self._entries[(id(schema), id(operation))] = (operation, plan)
        if len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)


def root_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    root_type: GraphQLObjectType,
    grouped: dict[str, list[FieldDetails]],
) -> OperationPlan:
    return OperationPlan(
        operation=operation,
        root_type=root_type,
        serial=operation.operation == OperationType.MUTATION,
        fields=field_plans(schema, root_type, grouped),
    )


def field_plans(
    schema: GraphQLSchema, parent_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
) -> list[FieldPlan]:
    plans = []
    for key, details in grouped.items():
        plan = field_plan(schema, parent_type, key, details)
        if plan is not None:
            plans.append(plan)
    return plans


def field_plan(
    schema: GraphQLSchema, parent_type: GraphQLObjectType, key: str, details: list[FieldDetails]
) -> FieldPlan | None:
    from api.execution.completers import completer_for

    node = details[0].node
    name = node.name.value
    field_def = schema.get_field(parent_type, name)
    if field_def is None:
        return None  # graphql-core skips unknown fields too (validation refuses them)
    strawberry_field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(strawberry_field, StrawberryField):
        strawberry_field = None
    return_type = field_def.type
    plan = FieldPlan(
        key=key,
        name=name,
        details=details,
        nodes=[d.node for d in details],
        parent_type=parent_type,
        field_def=field_def,
        return_type=return_type,
        mode=_mode(name, field_def, strawberry_field),
        completer=completer_for(return_type),
        strawberry_field=strawberry_field,
        has_arguments=bool(field_def.args or node.arguments),
    )
    plan.literal_arguments = all(
        isinstance(argument.value, _SCALAR_LITERALS)
        for node in plan.nodes
        for argument in node.arguments or ()
    )
    if plan.mode is Mode.RESOLVER:
        _bind_resolver(plan)
    plan.info_free = plan.mode in (Mode.ATTRIBUTE, Mode.RESOLVER) and _info_free(return_type)
    _learn_sync(return_type)
    if plan.mode in (Mode.LEAF_ATTRIBUTE, Mode.ATTRIBUTE):
        assert strawberry_field is not None
        plan.attribute = strawberry_field.python_name
    leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if plan.mode in (Mode.LEAF_ATTRIBUTE, Mode.RESOLVER) and is_leaf_type(leaf):
        plan.non_null = is_non_null_type(return_type)
        plan.serialize = leaf_serializer(leaf)
    if plan.mode in (Mode.ATTRIBUTE, Mode.RESOLVER) and isinstance(leaf, GraphQLObjectType):
        plan.object_type = leaf
        plan.non_null = is_non_null_type(return_type)
    return plan


_SCALAR_LITERALS = (IntValueNode, FloatValueNode, StringValueNode, BooleanValueNode, EnumValueNode)


def _info_free(type_: GraphQLOutputType) -> bool:
    """Leaves, lists of them, and objects whose type check ignores the resolve info:
    Strawberry's own (``is_type_of(obj, _info)``, an isinstance test) or none. An
    abstract type's resolve_type may read it."""
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if is_leaf_type(type_):
        return True
    if not isinstance(type_, GraphQLObjectType):
        return False
    check = type_.is_type_of
    return check is None or (
        getattr(check, "__module__", None) == "strawberry.schema.schema_converter"
        and check.__code__.co_varnames[1:2] == ("_info",)
    )


def _learn_sync(type_: GraphQLOutputType) -> None:
    """Note the class of a Strawberry object type as never awaitable (completers.SYNC)."""
    from api.execution.completers import SYNC

    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        return
    definition = (type_.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if isinstance(origin, type) and not hasattr(origin, "__await__"):
        SYNC.add(origin)


def _bind_resolver(plan: FieldPlan) -> None:
    """What Strawberry's resolver wrapper works out on every call (see get_arguments)."""
    assert plan.strawberry_field is not None
    resolver = plan.strawberry_field.base_resolver
    assert resolver is not None
    if not callable(resolver.wrapped_func):
        plan.mode = Mode.GENERIC  # Strawberry raises its own error for it
        return
    plan.call = resolver.wrapped_func
    plan.passes_self = resolver.self_parameter is not None
    plan.source_names = tuple(
        p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
    )
    plan.info_name = None if resolver.info_parameter is None else resolver.info_parameter.name


def _mode(name: str, field_def: GraphQLField, strawberry_field: StrawberryField | None) -> Mode:
    if name == "__typename":
        return Mode.TYPENAME
    if strawberry_field is None or strawberry_field.extensions:
        return Mode.GENERIC
    if getattr(field_def.resolve, "_is_default", False):
        if strawberry_field.default_resolver is not getattr:
            return Mode.GENERIC
        named = field_def.type
        if isinstance(named, GraphQLNonNull):
            named = named.of_type
        return Mode.LEAF_ATTRIBUTE if is_leaf_type(named) else Mode.ATTRIBUTE
    if strawberry_field.base_resolver is not None:
        return Mode.RESOLVER
    return Mode.GENERIC


IDENTITY_FOR: dict[Callable[[Any], Any], type] = {}
"""Serializers that return a value of this type as it is (completers._flat_row skips
the call for it)."""


_SERIALIZERS: dict[GraphQLOutputType, Callable[[Any], Any]] = {}


def leaf_serializer(leaf: GraphQLOutputType) -> Callable[[Any], Any]:
    """The leaf type's serializer, made once per type (plans come and go with the plan
    cache; the serializers, their enum memos and IDENTITY_FOR stay one per type)."""
    found = _SERIALIZERS.get(leaf)
    if found is None:
        found = _SERIALIZERS[leaf] = _serializer(leaf)
    return found


def _serializer(leaf: GraphQLOutputType) -> Callable[[Any], Any]:
    """graphql-core's leaf completion, skipping the serializer where it is the identity."""
    from graphql.execution import Executor

    assert isinstance(leaf, GraphQLLeafType)
    complete = Executor.complete_leaf_value

    if leaf is GraphQLString:

        def string(value: Any) -> Any:
            return value if type(value) is str else complete(leaf, value)

        IDENTITY_FOR[string] = str
        return string
    if leaf is GraphQLID:

        def identifier(value: Any) -> Any:
            if type(value) is str:
                return value
            # graphql-core's serialize_id gives str() of anything not builtin: a relay id.
            return str(value) if type(value) is GlobalID else complete(leaf, value)

        IDENTITY_FOR[identifier] = str
        return identifier
    if leaf is GraphQLInt:

        def integer(value: Any) -> Any:
            if type(value) is int and _INT_MIN <= value <= _INT_MAX:
                return value
            return complete(leaf, value)

        return integer
    if leaf is GraphQLBoolean:

        def boolean(value: Any) -> Any:
            return value if type(value) is bool else complete(leaf, value)

        IDENTITY_FOR[boolean] = bool
        return boolean

    if leaf.serialize is isoformat:  # Strawberry's DateTime and Date

        def iso(value: Any) -> Any:
            return value.isoformat() if type(value) in _ISO_TYPES else complete(leaf, value)

        return iso
    if leaf.serialize is str:  # Strawberry's Decimal

        def text(value: Any) -> Any:
            return str(value) if type(value) is Decimal else complete(leaf, value)

        return text

    members = getattr(leaf, "wrapped_cls", None)
    if isinstance(members, EnumMeta):
        names: dict[Any, Any] = {}

        def enum(value: Any) -> Any:
            # Strawberry's enum serializer looks for the member among all the enum's
            # values on every call; a member's name is remembered after the first.
            if type(value) is not members:
                return complete(leaf, value)
            name = names.get(value)
            if name is None:
                name = names[value] = complete(leaf, value)
            return name

        return enum

    def other(value: Any) -> Any:
        return complete(leaf, value)

    return other
