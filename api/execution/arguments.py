"""A resolver's arguments converted by a function made once per field.

Strawberry's ``convert_arguments`` works out on every call each argument's and each input
field's GraphQL name and resolved type: annotation resolution and name conversion were a
tenth of a stage transition's CPU. ``converter`` makes, once per field, a function that
converts the same way with those worked out:

- an input object is built from the fields present, the others None where they have no
  default (as Strawberry does), None and UNSET passing through;
- a list is converted item by item, or copied when its items are leaves;
- a relay GlobalID is parsed, with Strawberry's error for a malformed one;
- other leaves (scalars, enums, already coerced by graphql-core) are kept as they are.

A field with any type this does not know (``Maybe``, an input with its own
``from_input``, a lazy type, a type too deeply nested) gets None: Strawberry converts it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]
Arguments = Callable[[Mapping[str, Any]], dict[str, Any]]
MAX_DEPTH = 8
"""Input types nested deeper than this (or referring to themselves) are Strawberry's."""


def converter(
    field: StrawberryField, config: StrawberryConfig, scalars: Mapping[object, Any]
) -> Arguments | None:
    """The field's arguments' conversion, or None: Strawberry's ``convert_arguments``."""
    parts = []
    for argument in field.arguments:
        convert = _value(argument.type, config, scalars, 0)
        if convert is None:
            return None
        assert argument.python_name
        parts.append((config.name_converter.from_argument(argument), argument.python_name, convert))

    def arguments(values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            python_name: convert(values[name])
            for name, python_name, convert in parts
            if name in values
        }

    return arguments


def _same(value: Any) -> Any:
    return value


def _copied(value: Any) -> Any:
    # graphql-core gives every request that omits the value the same default list:
    # Strawberry copies it, so a change to it cannot leak into the next request.
    return value if value is None or value is UNSET else list(value)


def _global_id(value: Any) -> Any:
    if value is None or value is UNSET:
        return value
    try:
        return GlobalID.from_id(value)
    except GlobalIDValueError as error:
        raise InvalidGlobalIDError(f'Value cannot represent a GlobalID: "{value}".') from error


def _leaf(type_: Any, scalars: Mapping[object, Any]) -> bool:
    return type_ is not GlobalID and (
        is_scalar(type_, scalars) or isinstance(type_, StrawberryEnumDefinition)
    )


def _value(
    type_: Any, config: StrawberryConfig, scalars: Mapping[object, Any], depth: int
) -> Convert | None:
    if depth > MAX_DEPTH or isinstance(type_, StrawberryMaybe):
        return None
    if isinstance(type_, StrawberryOptional):
        return _value(type_.of_type, config, scalars, depth)
    if isinstance(type_, StrawberryList):
        of = type_.of_type
        if _leaf(of, scalars) or (
            isinstance(of, StrawberryOptional) and _leaf(of.of_type, scalars)
        ):
            return _copied
        item = _value(of, config, scalars, depth + 1)
        if item is None:
            return None
        return lambda value: value if value is None or value is UNSET else [item(x) for x in value]
    if type_ is GlobalID:
        return _global_id
    if _leaf(type_, scalars) or has_enum_definition(type_):
        return _same
    if has_object_definition(type_):
        return _input(type_, config, scalars, depth)
    return None  # lazy types and anything else: Strawberry's


def _input(
    type_: Any, config: StrawberryConfig, scalars: Mapping[object, Any], depth: int
) -> Convert | None:
    definition = type_.__strawberry_definition__
    if definition.from_input is not None:
        return None
    fields = []
    for field in definition.fields:
        convert = _value(field.resolve_type(type_definition=definition), config, scalars, depth + 1)
        if convert is None:
            return None
        fields.append((config.name_converter.from_field(field), field.python_name, convert))
    defaults: dict[str, Any] = {}
    if definition.is_input:
        defaults = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }

    def build(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs = dict(defaults)
        for name, python_name, convert in fields:
            if name in value:
                kwargs[python_name] = convert(value[name])
        return type_(**kwargs)

    return build
