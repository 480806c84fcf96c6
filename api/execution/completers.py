"""Completing a resolved value by the shape of its return type, decided once per field.

Each completer mirrors one branch of graphql-core's ``complete_value`` (non-null, list,
leaf, object, abstract), with the same errors and the same null propagation; the chain
for a field is built when the field is planned instead of re-tested per value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, Protocol

from graphql import (
    GraphQLError,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from graphql.type.definition import GraphQLAbstractType

Info = GraphQLResolveInfo[Any]
SYNC: set[type] = {dict, list, str, int, bool, float, type(None)}
"""Types of values that are never awaitable: tested before calling is_awaitable, which
a completion of fifty rows called some six hundred times. Planning adds the classes of
Strawberry object types (plans.field_plan), which define no ``__await__``."""

if TYPE_CHECKING:
    from api.execution.executor import PlannedExecutor
    from api.execution.plans import FieldPlan


class Completer(Protocol):
    """``info`` is None only for a plan that is ``info_free``: nothing reads it then."""

    def complete(
        self,
        ex: PlannedExecutor,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any: ...


class NonNull:
    __slots__ = ("inner",)

    def __init__(self, inner: Completer) -> None:
        self.inner = inner

    def complete(
        self,
        ex: PlannedExecutor,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        completed = self.inner.complete(ex, plan, info, path, result)
        if completed is None:
            msg = f"Cannot return null for non-nullable field {plan.parent_type}.{plan.name}."
            raise TypeError(msg)
        return completed


class Leaf:
    __slots__ = ("serialize", "type")

    def __init__(self, type_: GraphQLLeafType) -> None:
        from api.execution.plans import leaf_serializer

        self.type = type_
        self.serialize = leaf_serializer(type_)

    def complete(
        self,
        ex: PlannedExecutor,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        return self.serialize(result)


class Object:
    __slots__ = ("type",)

    def __init__(self, type_: GraphQLObjectType) -> None:
        self.type = type_

    def complete(
        self,
        ex: PlannedExecutor,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        return ex.complete_object(self.type, plan, info, path, result)


class Abstract:
    __slots__ = ("type",)

    def __init__(self, type_: GraphQLAbstractType) -> None:
        self.type = type_

    def complete(
        self,
        ex: PlannedExecutor,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        assert info is not None  # abstract types are never info_free
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        resolve_type = self.type.resolve_type or ex.type_resolver
        name = resolve_type(result, info, self.type)
        if ex.is_awaitable(name):

            async def later() -> Any:
                runtime = ex.ensure_valid_runtime_type(
                    await name, self.type, plan.details, info, result
                )
                value = ex.complete_object(runtime, plan, info, path, result)
                return await value if ex.is_awaitable(value) else value

            return later()
        runtime = ex.ensure_valid_runtime_type(name, self.type, plan.details, info, result)
        return ex.complete_object(runtime, plan, info, path, result)


class ListOf:
    __slots__ = ("inner", "item_type", "object_type")

    def __init__(self, inner: Completer, item_type: GraphQLOutputType) -> None:
        self.inner = inner
        self.item_type = item_type
        target = inner.inner if isinstance(inner, NonNull) else inner
        self.object_type = target.type if isinstance(target, Object) else None
        """Items of an object type complete as NonNull and Object would have them."""

    def complete(
        self,
        ex: PlannedExecutor,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        if isinstance(result, str | bytes) or not isinstance(result, Iterable):
            msg = (
                "Expected Iterable, but did not find one for field"
                f" '{plan.parent_type}.{plan.name}'."
            )
            raise GraphQLError(msg)
        is_awaitable = ex.is_awaitable
        inner, object_type = self.inner, self.object_type
        flat = plan.flat if plan.flat is not None else _leaf_only(plan, inner)
        retry = flat is None  # the first item plans the fields: look again after it
        completed: list[Any] = []
        waiting: list[int] = []
        for index, item in enumerate(result):
            if retry and index:
                retry = False
                flat = _leaf_only(plan, inner)
            if flat and item is not None:
                row = _flat_row(flat[0], flat[1], info, item)
                if row is not None:
                    completed.append(row)
                    continue
            item_path = Path(path, index, None)
            if type(item) not in SYNC and is_awaitable(item):
                completed.append(self._later(ex, plan, info, item_path, item))
                waiting.append(index)
                continue
            try:
                if (
                    object_type is None
                    or item is None
                    or item is Undefined
                    or isinstance(item, Exception)
                ):
                    value = inner.complete(ex, plan, info, item_path, item)
                else:
                    value = ex.complete_object(object_type, plan, info, item_path, item)
            except Exception as raw:
                ex.handle_field_error(raw, self.item_type, plan.details, item_path)
                value = None
            else:
                if type(value) not in SYNC and is_awaitable(value):
                    value = self._guarded(ex, plan, item_path, value)
                    waiting.append(index)
            completed.append(value)
        if not waiting:
            return completed

        async def gathered() -> list[Any]:
            if len(waiting) == 1:
                completed[waiting[0]] = await completed[waiting[0]]
            else:
                values = await gather_with_cancel(*(completed[i] for i in waiting))
                for i, value in zip(waiting, values, strict=True):
                    completed[i] = value
            return completed

        return gathered()

    async def _later(
        self, ex: PlannedExecutor, plan: FieldPlan, info: Info | None, path: Path, item: Any
    ) -> Any:
        try:
            value = self.inner.complete(ex, plan, info, path, await item)
            return await value if ex.is_awaitable(value) else value
        except Exception as raw:
            ex.handle_field_error(raw, self.item_type, plan.details, path)
            return None

    async def _guarded(self, ex: PlannedExecutor, plan: FieldPlan, path: Path, value: Any) -> Any:
        try:
            return await value
        except Exception as raw:
            ex.handle_field_error(raw, self.item_type, plan.details, path)
            return None


_MISSING = object()


LeafField = tuple[str, str, bool, "Callable[[Any], Any] | None", type | None]
"""(response key, attribute, non-null, serializer, the type the serializer returns as it
is); no serializer: ``__typename``."""


def _leaf_only(
    plan: FieldPlan, inner: Completer
) -> tuple[GraphQLObjectType, list[LeafField]] | Literal[False] | None:
    """For a list of objects whose selected fields are all plain leaf attributes (a
    history's records, a household's members): the item type and its fields, so an item
    completes in one loop, without a plan walk per field. False otherwise, None until the
    first item has planned the fields; what is found is kept on the plan."""
    from api.execution.plans import IDENTITY_FOR, Mode

    target = inner.inner if isinstance(inner, NonNull) else inner
    if not isinstance(target, Object):
        plan.flat = False
        return False
    children = plan.children.get(target.type.name)
    if not children:
        return None
    fields: list[LeafField] = []
    for child in children:
        if child.mode is Mode.TYPENAME:
            fields.append((child.key, "", False, None, None))
        elif child.mode is Mode.LEAF_ATTRIBUTE and child.serialize is not None:
            identity = IDENTITY_FOR.get(child.serialize)
            fields.append((child.key, child.attribute, child.non_null, child.serialize, identity))
        else:
            plan.flat = False
            return False
    plan.flat = (target.type, fields)
    return plan.flat  # type: ignore[no-any-return]


def _flat_row(
    runtime_type: GraphQLObjectType, fields: list[LeafField], info: Info | None, item: Any
) -> dict[str, Any] | None:
    """The item's fields as ``execute_plans`` would give them, or None for anything off the
    plain path (a failed type check, a null for a non-null field, a serializer's error):
    the item then completes the general way, which reports it. Reading an attribute has
    no effect, so reading it again there changes nothing."""
    check = runtime_type.is_type_of
    if check is not None and check(item, info) is not True:  # type: ignore[arg-type]
        return None
    row: dict[str, Any] = {}
    for key, attribute, non_null, serialize, identity in fields:
        if serialize is None:
            row[key] = runtime_type.name
            continue
        value = getattr(item, attribute, _MISSING)
        if type(value) is identity:
            row[key] = value
            continue
        if value is None:
            if non_null:
                return None
            row[key] = None
            continue
        if value is _MISSING:
            return None
        try:
            row[key] = serialize(value)
        except Exception:
            return None
    return row


def completer_for(type_: GraphQLOutputType) -> Completer:
    if isinstance(type_, GraphQLNonNull):
        return NonNull(completer_for(type_.of_type))
    if isinstance(type_, GraphQLList):
        return ListOf(completer_for(type_.of_type), type_.of_type)
    if is_leaf_type(type_):
        assert isinstance(type_, GraphQLLeafType)
        return Leaf(type_)
    if is_abstract_type(type_):
        assert isinstance(type_, GraphQLAbstractType)
        return Abstract(type_)
    assert is_object_type(type_)
    assert isinstance(type_, GraphQLObjectType)
    return Object(type_)
