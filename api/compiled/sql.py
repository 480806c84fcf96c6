"""The statement being planned: its parameters, aliases and JSON expressions.

Values never enter the SQL text: every one is a ``$n`` parameter whose *binder* reads it
from the request (its variables, its principal) when the plan runs. Only names the plan
itself chose go into the text: aliases, and response keys, which GraphQL restricts to
``[_A-Za-z][_0-9A-Za-z]*``.

JSON is built as ``json`` (not ``jsonb``, which would reorder keys), so objects keep the
order of the query, as GraphQL requires.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.compiled.selection import Unplannable, Variable
from api.db.repositories.scoping import ScopeShape
from api.domain.jurisdictions import CodeRange
from api.domain.roles import Principal


@dataclass(frozen=True, slots=True)
class Inputs:
    """What one request gives a plan: its coerced variables and its principal."""

    variables: Mapping[str, Any]
    principal: Principal
    ranges: Sequence[CodeRange]
    """The principal's read scope as code ranges."""

    def value(self, argument: Any) -> Any:
        if isinstance(argument, Variable):
            if argument.name in self.variables:
                return self.variables[argument.name]
            return argument.default
        return argument


Binder = Callable[[Inputs], Any]
"""Reads one parameter's value from a request; raises ``Unplannable`` for a value the
general path must answer (it refuses it with its own error)."""

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
MAX_PAIRS = 50
"""``json_build_object`` takes at most 100 arguments in PostgreSQL."""


@dataclass
class Statement:
    binders: list[Binder] = field(default_factory=list)
    checks: list[Binder] = field(default_factory=list)
    """Run per request for their refusal only: an argument the SQL does not need (an
    inbox with no stages to wait at) is still checked as the general path checks it."""
    _aliases: int = 0

    def bind(self, binder: Binder, cast: str) -> str:
        self.binders.append(binder)
        return f"${len(self.binders)}::{cast}"

    def constant(self, value: Any, cast: str) -> str:
        return self.bind(lambda _: value, cast)

    def alias(self, stem: str) -> str:
        self._aliases += 1
        return f"{stem}{self._aliases}"

    def arguments(self, inputs: Inputs) -> list[Any]:
        for check in self.checks:
            check(inputs)
        return [binder(inputs) for binder in self.binders]


def name(key: str) -> str:
    """A response key as a SQL string literal (GraphQL names need no escaping)."""
    if _NAME.fullmatch(key) is None:
        raise Unplannable(f"not a GraphQL name: {key!r}")
    return f"'{key}'"


def json_object(pairs: Sequence[tuple[str, str]]) -> str:
    if len(pairs) > MAX_PAIRS:
        raise Unplannable(f"more than {MAX_PAIRS} fields in one object")
    if not pairs:
        return "json_build_object()"
    return "json_build_object(" + ", ".join(f"{name(k)}, {v}" for k, v in pairs) + ")"


def json_list(element: str, source: str, order: str) -> str:
    """A list of ``element`` for each row of ``source`` (FROM ... WHERE ...), never null."""
    return f"(SELECT coalesce(json_agg({element} ORDER BY {order}), '[]'::json) FROM {source})"


def global_id(type_name: str, key: str) -> str:
    """Strawberry's relay ID: base64 of ``Type:key`` (PostgreSQL wraps at 76 characters;
    the newlines go)."""
    if _NAME.fullmatch(type_name) is None:
        raise Unplannable(f"not a type name: {type_name!r}")
    raw = f"convert_to('{type_name}:' || {key}, 'UTF8')"
    return f"translate(encode({raw}, 'base64'), E'\\n', '')"


def cursor(*parts: str) -> str:
    """``api.resolvers.cursors.encode``: url-safe base64, unpadded, of the parts joined
    by U+001F."""
    raw = " || chr(31) || ".join(f"({p})::text" for p in parts)
    encoded = f"encode(convert_to({raw}, 'UTF8'), 'base64')"
    return f"rtrim(translate({encoded}, E'+/\\n', '-_'), '=')"


def instant(column: str) -> str:
    """A UTC instant as Python's ``datetime.isoformat`` writes it (Strawberry's DateTime):
    microseconds only when there are some, and ``+00:00``."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    fraction = f"CASE WHEN date_trunc('second', {column}) = {column} THEN '' ELSE to_char({utc}, '.US') END"  # noqa: E501
    return f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} || '+00:00')"


def enum(column: str, names: Mapping[str, str]) -> str:
    """A stored enum value as its GraphQL name (``names``: value -> name, from the
    schema's own enum type). The values come from the schema, not the request."""
    cases = " ".join(
        f"WHEN {_literal(value)} THEN {_literal(graphql_name)}"
        for value, graphql_name in names.items()
    )
    return f"(CASE {column} {cases} END)"


def _literal(value: str) -> str:
    if _NAME.fullmatch(value) is None:
        raise Unplannable(f"an enum value this plan does not write into SQL: {value!r}")
    return f"'{value}'"


def in_scope(statement: Statement, column: str, shape: ScopeShape) -> str:
    """The twin of ``api.db.repositories.scoping.in_scope_bound``: ``column`` in one of
    the scope's subtrees as index range scans; the text depends on the scope's shape
    only (a variant's key), the codes travel as parameters."""
    if shape < 0:
        return "TRUE"
    if shape == 0:
        return "FALSE"
    ranges = []
    for index in range(shape):
        low = statement.bind(_bound(index, "low"), "text")
        high = statement.bind(_bound(index, "high"), "text")
        ranges.append(f"({column} >= {low} AND {column} < {high})")
    return "(" + " OR ".join(ranges) + ")"


def _bound(index: int, end: str) -> Binder:
    def bound(inputs: Inputs) -> str:
        value: str = getattr(inputs.ranges[index], end)
        return value

    return bound


def per_capita(net: str, size: str) -> str:
    """``api.domain.income.per_capita`` of a net income (null: 0) and a member count:
    half away from zero to the fen, as Decimal's text (``-0.00`` included, which
    PostgreSQL's numeric does not have); null for a household of no members."""
    quotient = f"(coalesce({net}, 0) / {size})"
    rounded = f"round({quotient}, 2)"
    text = f"CASE WHEN {quotient} < 0 AND {rounded} = 0 THEN '-0.00' ELSE {rounded}::text END"
    return f"(CASE WHEN {size} > 0 THEN {text} END)"
