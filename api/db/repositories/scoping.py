"""Turning a Scope into a SQL predicate over a division-code column."""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, bindparam, false, or_, true

from api.domain.jurisdictions import Scope, prefix_range


def in_scope(column: SQLColumnExpression[str], scope: Scope) -> ColumnElement[bool]:
    """``column`` lies in one of the scope's subtrees (index range scans, no LIKE)."""
    if scope.everything:
        return true()
    if not scope.prefixes:
        return false()
    return or_(*(in_subtree(column, prefix) for prefix in scope.prefixes))


def in_subtree(column: SQLColumnExpression[str], prefix: str) -> ColumnElement[bool]:
    bounds = prefix_range(prefix)
    return and_(column >= bounds.low, column < bounds.high)


# Bound forms, for statements built once per shape (api/db/statements.py): the SQL text
# depends only on how many ranges there are; the codes travel as parameters.

ScopeShape = int
"""-1: everything; otherwise how many prefix ranges (0: nothing)."""


def scope_shape(scope: Scope) -> ScopeShape:
    return -1 if scope.everything else len(scope.prefixes)


def in_scope_bound(
    column: SQLColumnExpression[str], shape: ScopeShape, name: str = "scope"
) -> ColumnElement[bool]:
    """``in_scope`` with the ranges as bound parameters ``{name}_lo_i``/``{name}_hi_i``."""
    if shape < 0:
        return true()
    if shape == 0:
        return false()
    return or_(*(in_subtree_bound(column, f"{name}_{i}") for i in range(shape)))


def in_subtree_bound(column: SQLColumnExpression[str], name: str) -> ColumnElement[bool]:
    return and_(column >= bindparam(f"{name}_lo"), column < bindparam(f"{name}_hi"))


def scope_values(scope: Scope, name: str = "scope") -> dict[str, str]:
    values: dict[str, str] = {}
    if not scope.everything:
        for i, prefix in enumerate(scope.prefixes):
            values |= subtree_values(prefix, f"{name}_{i}")
    return values


def subtree_values(prefix: str, name: str) -> dict[str, str]:
    bounds = prefix_range(prefix)
    return {f"{name}_lo": bounds.low, f"{name}_hi": bounds.high}
