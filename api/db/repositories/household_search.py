"""Household search: by a member's name (a part), a member's ID number or the household's
phone (whole), inside the viewer's scope, in (village, id) order like every page.

On PostgreSQL a name part of three characters or more is matched anywhere through the
trigram index on members' names (pg_trgm, migration 0015); a shorter part at the start
of a name, as a range on the names' index in code-point order (the column's collation is
"C" there), which stays an index range in a generic plan where ``LIKE $1`` would not.
ID numbers use their unique index, phones theirs. SQLite runs the same statements on
plain indexes.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import direct
from api.db.models import Household, Member
from api.db.repositories.households import HouseholdKey, PageRow, view_columns
from api.db.repositories.scoping import (
    ScopeShape,
    in_scope_bound,
    in_subtree_bound,
    scope_shape,
    scope_values,
    subtree_values,
)
from api.db.statements import shaped
from api.domain.jurisdictions import Scope
from api.domain.search import SearchBy, SearchTerm

SPARSE = 2_000
"""A name's start matched by fewer members than this is looked up first, its households
then put in order; more, and the households are walked in order, each checked (a dense
start finds a page within the first few hundred). A generic plan cannot tell the two
apart (a rare start walked the whole register: 2.5 s at 1M), so a probe does."""


@shaped
def _matching(mode: str) -> Select[Any]:
    """The ids of households with a member the term matches (one statement per mode)."""
    members = Member.__table__.c
    member: ColumnElement[bool]
    if mode == "anywhere":
        member = members.name.like(bindparam("pattern"), escape="\\")
    elif mode in {"start", "start_dense"}:
        # The column compares in code-point order (COLLATE "C" on PostgreSQL, BINARY on
        # SQLite): a name's start is a range on its index.
        member = (members.name >= bindparam("low")) & (members.name < bindparam("high"))
    else:
        member = members.id_number == bindparam("value")
    return select(members.household_id).where(member)


@shaped
def _probe() -> Select[Any]:
    members = Member.__table__.c
    found = (
        select(members.id)
        .where(members.name >= bindparam("low"), members.name < bindparam("high"))
        .limit(SPARSE)
        .subquery()
    )
    return select(func.count().label("found")).select_from(found)


@shaped
def _search(scope: ScopeShape, mode: str, *, under: bool, after: bool) -> Select[Any]:
    households = Household.__table__.c
    matched: ColumnElement[bool]
    if mode == "phone":
        matched = households.phone == bindparam("value")
    elif mode == "start_dense":
        matched = households.id.in_(_matching(mode))  # walked in order, each checked
    else:
        # Looked up first (MATERIALIZED: PostgreSQL may not fold it into a walk).
        first = (
            _matching(mode)
            .distinct()
            .cte("matched")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        matched = households.id.in_(select(first.c.household_id))
    query = select(*view_columns()).where(in_scope_bound(households.village_code, scope), matched)
    if under:
        query = query.where(in_subtree_bound(households.village_code, "under"))
    if after:
        query = query.where(
            tuple_(households.village_code, households.id)
            > tuple_(bindparam("after_code"), bindparam("after_id"))
        )
    return query.order_by(households.village_code, households.id).limit(bindparam("limit"))


async def _mode(session: AsyncSession, term: SearchTerm, values: dict[str, Any]) -> str:
    if term.by is not SearchBy.NAME:
        values["value"] = term.value
        return str(term.by)
    if term.anywhere:
        values["pattern"] = term.pattern
        return "anywhere"
    values["low"], values["high"] = term.prefix_range
    (probe,) = await direct.rows(session, _probe(), values)
    return "start_dense" if probe.found >= SPARSE else "start"


async def search(
    session: AsyncSession,
    term: SearchTerm,
    *,
    scope: Scope,
    under: str | None,
    after: HouseholdKey | None,
    first: int,
) -> list[PageRow]:
    """Up to ``first`` matching households under ``under`` (None: anywhere) that ``scope``
    may see, after ``after``; one row more when there is a next page (the caller trims it)."""
    values: dict[str, Any] = scope_values(scope)
    if under is not None:
        values |= subtree_values(under, "under")
    values["limit"] = first + 1
    mode = await _mode(session, term, values)
    if after is not None:
        values["after_code"], values["after_id"] = after
    query = _search(scope_shape(scope), mode, under=under is not None, after=after is not None)
    return cast("list[PageRow]", list(await direct.rows(session, query, values)))
