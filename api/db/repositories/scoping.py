"""Turning a Scope into a SQL predicate over a division-code column."""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, or_, true

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
