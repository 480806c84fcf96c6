"""A small schema-driven fuzz: every root query field, every argument given hostile
values of its own type (huge, negative, empty, long, odd Unicode), as three callers.
No answer may be an INTERNAL error, and every error carries extensions.code."""

from __future__ import annotations

import json
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)

from api.domain.roles import Role
from api.schema.schema import schema
from tests.api.conftest import token_for

HOSTILE: dict[str, list[Any]] = {
    "Int": [0, -1, 2**31 - 1, -(2**31), 99999],
    "Float": [0.0, -1e308, 1e308],
    "Boolean": [True, False],
    "String": ["", "23", "x" * 5000, "🙂\u0000\u202e", "' OR 1=1 --", "../../etc/passwd"],
    "ID": ["", "bm9wZQ==", "RXhpdEFwcGxpY2F0aW9uOjE=", "x" * 500],
    "Date": ["2016-02-30", "0001-01-01", "not a date"],
    "DateTime": ["2016-13-01T00:00:00Z", "yesterday"],
    "Decimal": ["1e999999", "NaN", "-0"],
    "JSON": [{}, [], "x"],
}


def _unwrap(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def _values(kind: Any) -> list[Any]:
    inner = _unwrap(kind)
    if isinstance(inner, GraphQLEnumType):
        return [next(iter(inner.values))]
    if isinstance(inner, GraphQLScalarType):
        return HOSTILE.get(inner.name, [""])
    if isinstance(inner, GraphQLInputObjectType):
        value = {}
        for name, field in inner.fields.items():
            if isinstance(field.type, GraphQLNonNull):
                value[name] = _values(field.type)[-1]
        return [value]
    return [None]


def _wrap(kind: Any, value: Any) -> Any:
    return [value] if isinstance(_unwrap_once(kind), GraphQLList) else value


def _unwrap_once(kind: Any) -> Any:
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


def _selection(kind: Any) -> str:
    inner = _unwrap(kind)
    if isinstance(inner, GraphQLObjectType):
        return "{ __typename }"
    return "{ __typename }" if not isinstance(inner, GraphQLScalarType | GraphQLEnumType) else ""


def cases() -> list[tuple[str, dict[str, Any]]]:
    query = schema._schema.query_type
    assert query is not None
    made = []
    for name, field in query.fields.items():
        args = field.args
        declared = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
        passed = ", ".join(f"{a}: ${a}" for a in args)
        document = (
            f"query{f'({declared})' if declared else ''} "
            f"{{ {name}{f'({passed})' if passed else ''} {_selection(field.type)} }}"
        )
        base = {a: _wrap(arg.type, _values(arg.type)[0]) for a, arg in args.items()}
        made.append((document, base))
        for a, arg in args.items():
            for value in _values(arg.type):
                made.append((document, {**base, a: _wrap(arg.type, value)}))
    return made


async def test_no_input_reaches_an_unexpected_error(client: httpx.AsyncClient) -> None:
    callers = [
        {},
        {"Authorization": f"Bearer {token_for(Role.COUNTY_LEADING_GROUP, '230231')}"},
        {"Authorization": f"Bearer {token_for(Role.INTEGRATOR, '23')}"},
    ]
    sent, answered, seen = 0, 0, set()
    for document, variables in cases():
        for headers in callers:
            response = await client.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
            sent += 1
            assert response.status_code == 200, (document, variables, response.text)
            errors = response.json().get("errors") or []
            answered += not errors
            for error in errors:
                code = error.get("extensions", {}).get("code")
                assert code, (document, variables, error)
                seen.add(code)
                assert code != "INTERNAL", (document, json.dumps(variables)[:300], error)
    assert sent > 300
    # The fuzz reached the resolvers: many answers, and refusals of the edge's kinds.
    assert answered > sent // 10, (answered, sent)
    assert {"VALIDATION_FAILED", "BAD_USER_INPUT"} <= seen, seen
