"""A planned mutation's arguments, converted to the resolver's Python values.

Strawberry converts a resolver's arguments on every call by walking their annotations
(``strawberry.types.arguments.convert_arguments``): resolving each input field's type,
asking whether it is a leaf, naming it. For a planned mutation that walk is done once,
here, into one function per argument; what it builds per request is what Strawberry
builds: the same input classes, ``GlobalID``s, enum values and lists, with an input's
fields left out set to None or to their defaults. ``tests/api/test_compiled_arguments.py``
holds the two to the same values.

Types this does not plan (``Maybe``, inputs that build their own value with
``from_input``, ``@oneOf`` inputs) raise ``Unplannable``: the general path takes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID, GlobalIDValueError, InvalidGlobalIDError
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

from api.compiled.selection import Unplannable

Convert = Callable[[Any], Any]


class ArgumentConverter:
    """``convert(value)``: graphql-core's argument values (by GraphQL name) as the
    resolver's keyword arguments (by Python name)."""

    def __init__(
        self, field: StrawberryField, scalar_registry: Any, config: StrawberryConfig
    ) -> None:
        self._registry = scalar_registry
        self._config = config
        self._arguments = tuple(
            (config.name_converter.from_argument(a), a.python_name, self._of(a.type))
            for a in field.arguments
        )

    def convert(self, value: dict[str, Any]) -> dict[str, Any]:
        return {
            python: convert(value[name])
            for name, python, convert in self._arguments
            if name in value
        }

    def _of(self, type_: Any) -> Convert:
        if isinstance(type_, StrawberryMaybe):
            raise Unplannable("Maybe arguments are not planned")
        if isinstance(type_, StrawberryOptional):
            return self._of(type_.of_type)  # None passes through every converter
        if isinstance(type_, LazyType):
            return self._of(type_.resolve_type())
        if isinstance(type_, StrawberryList):
            return self._list(type_.of_type)
        if type_ is GlobalID:
            return _global_id
        if self._leaf(type_):
            return _same
        if has_enum_definition(type_):
            return _same
        if has_object_definition(type_):
            return self._input(type_)
        raise Unplannable(f"arguments of type {type_!r} are not planned")

    def _leaf(self, type_: Any) -> bool:
        if isinstance(type_, LazyType):
            return self._leaf(type_.resolve_type())
        return is_scalar(type_, self._registry) or isinstance(type_, StrawberryEnumDefinition)

    def _list(self, item_type: Any) -> Convert:
        inner = item_type.of_type if isinstance(item_type, StrawberryOptional) else item_type
        if inner is not GlobalID and self._leaf(inner):
            # Copied, as Strawberry copies it: graphql-core gives every request that
            # leaves the value out the same default list.
            return _copied
        item = self._of(item_type)

        def listed(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            return [item(x) for x in value]

        return listed

    def _input(self, type_: Any) -> Convert:
        definition = type_.__strawberry_definition__
        if not definition.is_input or definition.from_input is not None:
            raise Unplannable(f"{definition.name} is not planned as an argument")
        if definition.is_one_of:
            raise Unplannable(f"{definition.name} (@oneOf) is not planned as an argument")
        implicit = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is MISSING and f.default_factory is MISSING
        }
        fields = tuple(
            (
                self._config.name_converter.from_field(f),
                f.python_name,
                self._of(f.resolve_type(type_definition=definition)),
            )
            for f in definition.fields
        )

        def built(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = dict(implicit)
            for name, python, convert in fields:
                if name in value:
                    kwargs[python] = convert(value[name])
            return type_(**kwargs)

        return built


def _same(value: Any) -> Any:
    return value


def _copied(value: Any) -> Any:
    if value is None or value is UNSET:
        return value
    return list(value)


def _global_id(value: Any) -> Any:
    if value is None or value is UNSET:
        return value
    try:
        return GlobalID.from_id(value)
    except GlobalIDValueError as error:
        raise InvalidGlobalIDError(f'Value cannot represent a GlobalID: "{value}".') from error
