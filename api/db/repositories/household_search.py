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

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, bindparam, func, literal, select, tuple_
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
    elif mode == "start":
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


WALK = 20_000
"""The most households a common start's walk checks for one page (about 45 ms at worst):
where the start is common in the register but rare in the viewer's scope, the page ends
there, short, with hasNextPage and a cursor to go on from (as meetsStandard's scan does)."""


def _in_view(households: Any, scope: ScopeShape, *, under: bool, after: bool) -> list[Any]:
    """The predicates of the households a viewer may see, under ``under``, after ``after``."""
    where = [in_scope_bound(households.village_code, scope)]
    if under:
        where.append(in_subtree_bound(households.village_code, "under"))
    if after:
        where.append(
            tuple_(households.village_code, households.id)
            > tuple_(bindparam("after_code"), bindparam("after_id"))
        )
    return where


@shaped
def _search(
    scope: ScopeShape, mode: str, *, under: bool, after: bool, bounded: bool = False
) -> Select[Any]:
    households = Household.__table__.c
    matched: ColumnElement[bool]
    where = _in_view(households, scope, under=under, after=after)
    if mode == "phone":
        matched = households.phone == bindparam("value")
    elif mode == "start_dense":
        # Walked in order, each household checked by the index on members' households
        # (a subquery with LIMIT is never folded into a join: a generic plan would hash
        # every member with the start), up to the walk's end when it has one.
        members = Member.__table__.c
        matched = (
            select(literal(1))
            .where(
                members.household_id == households.id,
                members.name >= bindparam("low"),
                members.name < bindparam("high"),
            )
            .limit(1)
            .scalar_subquery()
            .is_not(None)
        )
        if bounded:
            where.append(
                tuple_(households.village_code, households.id)
                <= tuple_(bindparam("end_code"), bindparam("end_id"))
            )
    else:
        # Looked up first (MATERIALIZED: PostgreSQL may not fold it into a walk).
        first = (
            _matching(mode)
            .distinct()
            .cte("matched")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        matched = households.id.in_(select(first.c.household_id))
    query = select(*view_columns()).where(*where, matched)
    return query.order_by(households.village_code, households.id).limit(bindparam("limit"))


@shaped
def _walk_end(scope: ScopeShape, *, under: bool, after: bool) -> Select[Any]:
    """The last household a full walk checked: where the next page's walk starts."""
    households = Household.__table__.c
    return (
        select(households.village_code, households.id)
        .where(*_in_view(households, scope, under=under, after=after))
        .order_by(households.village_code, households.id)
        .offset(bindparam("walk_last"))
        .limit(1)
    )


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
) -> Found:
    """Up to ``first`` matching households under ``under`` (None: anywhere) that ``scope``
    may see, after ``after``; one row more when there is a next page (the caller trims it)."""
    values: dict[str, Any] = scope_values(scope)
    if under is not None:
        values |= subtree_values(under, "under")
    values["limit"] = first + 1
    mode = await _mode(session, term, values)
    if after is not None:
        values["after_code"], values["after_id"] = after
    shape, bounded, resumed = scope_shape(scope), under is not None, after is not None
    walk_end: HouseholdKey | None = None
    if mode == "start_dense":
        ended = await direct.rows(
            session,
            _walk_end(shape, under=bounded, after=resumed),
            values | {"walk_last": WALK - 1},
        )
        if ended:  # more than WALK households to go: this page walks up to the WALK-th
            walk_end = (ended[0].village_code, ended[0].id)
            values["end_code"], values["end_id"] = walk_end
    statement = _search(shape, mode, under=bounded, after=resumed, bounded=walk_end is not None)
    rows = cast("list[PageRow]", list(await direct.rows(session, statement, values)))
    if walk_end is not None and len(rows) <= first:
        return Found(rows, walk_end)  # short, and not the last: go on after the walk's end
    return Found(rows, None)


@dataclass(frozen=True, slots=True)
class Found:
    rows: list[PageRow]
    """Up to ``first`` + 1 households (one more when a next page holds some)."""
    walked_to: HouseholdKey | None
    """Where a common start's walk stopped short of the end: the next page starts after
    it (the page is short, and not the last)."""
