"""Planned argument conversion (api/execution/arguments.py) gives Strawberry's: for every
field of the schema that takes arguments, with values made from its GraphQL types (every
input field given, only the required ones, nulls), both conversions must be equal."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from strawberry.relay import GlobalID, to_base64
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from api.execution.arguments import converter
from api.schema.schema import schema

SCALARS: dict[str, Any] = {
    "String": "文本",
    "Int": 2016,  # a year wherever a year is asked for (inputs check theirs)
    "Float": 1.5,
    "Boolean": True,
    "ID": to_base64("ExitApplication", 7),
    "GlobalID": to_base64("ExitApplication", 7),
    "DateTime": datetime(2016, 11, 2, 8, 30, tzinfo=UTC),
    "Date": date(2016, 11, 2),
    "Decimal": Decimal("3200.50"),
    "JSON": {"k": [1, 2]},
    "Upload": io.BytesIO(b"%PDF-1.7"),  # a part of a multipart request, passed through
}


def _value(type_: GraphQLInputType, *, full: bool, depth: int = 0) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, full=full, depth=depth)
    if isinstance(type_, GraphQLList):
        return [_value(type_.of_type, full=full, depth=depth + 1) for _ in range(2)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values.values())).value  # as graphql-core coerces it
    if isinstance(type_, GraphQLScalarType):
        return SCALARS[type_.name]
    assert isinstance(type_, GraphQLInputObjectType)
    return {
        name: _value(field.type, full=full, depth=depth + 1)
        for name, field in type_.fields.items()
        if depth < 4 and (full or isinstance(field.type, GraphQLNonNull))
    }


def _lists(value: Any) -> set[int]:
    """The ids of the lists in a value, however nested (in dicts, lists, inputs)."""
    found: set[int] = set()
    if isinstance(value, list):
        found.add(id(value))
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if hasattr(value, "__dataclass_fields__"):
        items = [getattr(value, name) for name in value.__dataclass_fields__]
    for item in items:
        found |= _lists(item)
    return found


def _fields() -> list[tuple[str, Any, StrawberryField]]:
    found = []
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field in graphql_type.fields.items():
            backref = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if field.args and isinstance(backref, StrawberryField):
                found.append((f"{graphql_type.name}.{name}", field, backref))
    return found


FIELDS = _fields()


def test_every_field_of_the_schema_is_planned() -> None:
    unplanned = [n for n, _, f in FIELDS if converter(f, schema.config, _scalars()) is None]
    assert unplanned == []
    assert "Mutation.performStage" in [n for n, _, _ in FIELDS]


def _scalars() -> Any:
    return schema.schema_converter.scalar_registry


@pytest.mark.parametrize(("name", "graphql_field", "field"), FIELDS, ids=[f[0] for f in FIELDS])
def test_planned_conversion_is_strawberrys(name: str, graphql_field: Any, field: Any) -> None:
    convert = converter(field, schema.config, _scalars())
    assert convert is not None
    for full in (True, False):
        values = {
            arg: _value(definition.type, full=full)
            for arg, definition in graphql_field.args.items()
            if full or isinstance(definition.type, GraphQLNonNull)
        }
        expected = convert_arguments(values, field.arguments, _scalars(), schema.config)
        got = convert(values)
        assert got == expected, (name, full)
        # Lists are copies, as Strawberry makes them: graphql-core's defaults are shared.
        assert not _lists(values) & _lists(got), name
        assert [type(v) for v in convert(values).values()] == [
            type(v) for v in expected.values()
        ], name
    nulls = {
        arg: None for arg, d in graphql_field.args.items() if not isinstance(d.type, GraphQLNonNull)
    }
    assert convert(nulls) == convert_arguments(nulls, field.arguments, _scalars(), schema.config)


def test_a_malformed_global_id_is_strawberrys_error() -> None:
    from api.execution.arguments import _global_id

    assert _global_id(to_base64("ExitApplication", 7)) == GlobalID("ExitApplication", "7")
    with pytest.raises(Exception, match="Value cannot represent a GlobalID"):
        _global_id("not base64 at all")
