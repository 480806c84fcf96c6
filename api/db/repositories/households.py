"""Household register reads: pages of a subtree, yearly accounts and assessments."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import direct
from api.db.models import Assessment, Household, IncomeRecord, Jurisdiction, Member
from api.db.repositories.scoping import (
    ScopeShape,
    in_scope,
    in_scope_bound,
    in_subtree,
    in_subtree_bound,
    scope_shape,
    scope_values,
    subtree_values,
)
from api.db.statements import arrays, keys_in, shaped
from api.db.types import Money
from api.db.views import HouseholdView, JurisdictionView, MemberView
from api.domain.income import IncomeLine
from api.domain.jurisdictions import Level, Scope
from api.domain.register import (
    Education,
    Health,
    IncomeKind,
    LabourCapacity,
    Relation,
    SchoolingStatus,
)

HouseholdKey = tuple[str, int]
"""Keyset position of a household: (village_code, id)."""


def _under(scope: Scope, under: str, exit_attributes: Sequence[str]) -> Select[Household]:
    query = select(Household).where(
        in_subtree(Household.village_code, under), in_scope(Household.village_code, scope)
    )
    if exit_attributes:
        query = query.where(Household.exit_attribute.in_(exit_attributes))
    return query


VIEW_COLUMNS = (
    "id",
    "registry_no",
    "village_code",
    "villager_group",
    "head_name",
    "phone",
    "standard_kind",
    "attribute",
    "main_cause",
    "second_cause",
    "third_cause",
    "bank_account",
    "exit_attribute",
    "registered_year",
    "exited_year",
)
"""The columns a HouseholdView holds: what page and node reads select, no more (each
column costs its decoding and result processing on every row)."""


def view_columns() -> list[Any]:
    table = Household.__table__
    return [table.c[name] for name in VIEW_COLUMNS]


@shaped
def _page(scope: ScopeShape, *, filtered: bool, after: bool, figures: bool) -> Select[Any]:
    table = Household.__table__
    columns: list[Any] = view_columns()
    if figures:
        columns += _figures(table.c.id)
    query = select(*columns).where(
        in_subtree_bound(table.c.village_code, "under"),
        in_scope_bound(table.c.village_code, scope),
    )
    if filtered:
        query = query.where(table.c.exit_attribute.in_(bindparam("attributes", expanding=True)))
    if after:
        query = query.where(
            tuple_(table.c.village_code, table.c.id)
            > tuple_(bindparam("after_code"), bindparam("after_id"))
        )
    return query.order_by(table.c.village_code, table.c.id).limit(bindparam("limit"))


def _figures(household_id: ColumnElement[int]) -> list[Any]:
    """A page row's members counted in ``:year`` and its net income of that year, as
    correlated subqueries (api.domain.income.accounts: costs are subtracted; members
    count by ``member_counts_in``). Table columns, not mapped attributes: the page
    stays a Core statement, without the ORM's loading of its rows."""
    members, incomes = Member.__table__.c, IncomeRecord.__table__.c
    year = bindparam("year", type_=members.joined_year.type)
    size = (
        select(func.count())
        .where(members.household_id == household_id, member_counts_in(year))
        .scalar_subquery()
    )
    signed = case((incomes.kind == IncomeKind.COST, -incomes.amount), else_=incomes.amount)
    net = (
        select(func.sum(signed))
        .where(incomes.household_id == household_id, incomes.year == year)
        .scalar_subquery()
    )
    return [size.label("figure_size"), type_coerce(net, Money()).label("figure_net")]


class PageRow(HouseholdView, Protocol):
    """A household of a page; with a figures year, also its figures of that year."""

    @property
    def figure_size(self) -> int: ...
    @property
    def figure_net(self) -> Decimal | None: ...


async def page(
    session: AsyncSession,
    *,
    scope: Scope,
    under: str,
    after: HouseholdKey | None,
    first: int,
    exit_attributes: Sequence[str] = (),
    figures_year: int | None = None,
) -> list[PageRow]:
    """Up to ``first`` households under ``under`` that ``scope`` may see, after ``after``,
    as rows (api/db/views.py); with ``figures_year``, each row carries its size and net
    income of that year (``figure_size``, ``figure_net``: None without income records).

    Returns one row more than asked when there is a next page; the caller trims it.
    """
    query = _page(
        scope_shape(scope),
        filtered=bool(exit_attributes),
        after=after is not None,
        figures=figures_year is not None,
    )
    values: dict[str, Any] = scope_values(scope) | subtree_values(under, "under")
    values["limit"] = first + 1
    if exit_attributes:
        values["attributes"] = list(exit_attributes)
    if after is not None:
        values["after_code"], values["after_id"] = after
    if figures_year is not None:
        values["year"] = figures_year
    return cast("list[PageRow]", list(await direct.rows(session, query, values)))


@shaped
def _by_ids(scope: ScopeShape, array: bool) -> Select[Any]:
    table = Household.__table__
    return select(*view_columns()).where(
        keys_in(table.c.id, "ids", BigInteger(), array=array),
        in_scope_bound(table.c.village_code, scope),
    )


async def by_ids(
    session: AsyncSession, ids: Sequence[int], *, scope: Scope
) -> dict[int, HouseholdView]:
    """Households by id, as rows (api/db/views.py)."""
    rows = await direct.rows(
        session,
        _by_ids(scope_shape(scope), arrays(session)),
        {"ids": list(ids)} | scope_values(scope),
    )
    return {row.id: row for row in rows}


class _Unit(NamedTuple):
    code: str
    name: str
    level: Level
    parent_code: str | None


_UNIT_COLUMNS = ("code", "name", "level", "parent_code")


@shaped
def _by_ids_with_units(scope: ScopeShape, array: bool, members: bool) -> Select[Any]:
    table, units = Household.__table__, Jurisdiction.__table__
    village, county = units.alias("village"), units.alias("county")
    joined = table.outerjoin(village, village.c.code == table.c.village_code).outerjoin(
        county, county.c.code == func.substr(table.c.village_code, 1, 6)
    )
    columns: list[Any] = [
        *view_columns(),
        *(village.c[name].label(f"village_unit_{name}") for name in _UNIT_COLUMNS),
        *(county.c[name].label(f"county_unit_{name}") for name in _UNIT_COLUMNS),
    ]
    order = []
    if members:
        member = Member.__table__
        joined = joined.outerjoin(member, member.c.household_id == table.c.id)
        columns += [column.label(f"member_{column.name}") for column in member.c]
        order = [table.c.id, member.c.id]
    return (
        select(*columns)
        .select_from(joined)
        .where(
            keys_in(table.c.id, "ids", BigInteger(), array=array),
            in_scope_bound(table.c.village_code, scope),
        )
        .order_by(*order)
    )


class _MemberRow(NamedTuple):
    """A member read along with its household: the columns of household_members."""

    id: int
    household_id: int
    name: str
    id_number: str
    relation: Relation
    ethnicity: str
    education: Education
    schooling: SchoolingStatus
    health: Health
    labour_capacity: LabourCapacity
    migrant_work_months: int
    medical_insurance: bool
    serious_illness_insurance: bool
    pension_insurance: bool
    serious_illness_treated: bool | None
    joined_year: int | None
    left_year: int | None


_HOUSEHOLD_WIDTH = len(VIEW_COLUMNS)
assert tuple(Member.__table__.c.keys()) == _MemberRow._fields, "household_members changed"


async def by_ids_with_units(
    session: AsyncSession, ids: Sequence[int], *, scope: Scope, members: bool = False
) -> tuple[dict[int, HouseholdView], dict[str, JurisdictionView], dict[int, list[MemberView]]]:
    """``by_ids`` (the columns of a HouseholdView), and the units of the households
    found (their villages and counties), read in the same statement, as the
    jurisdictions a household's fields ask for; with ``members``, also each found
    household's members (in id order), as ``members_of`` gives them (otherwise the
    third dict is empty)."""
    rows = await direct.rows(
        session,
        _by_ids_with_units(scope_shape(scope), arrays(session), members),
        {"ids": list(ids)} | scope_values(scope),
    )
    households: dict[int, HouseholdView] = {}
    units: dict[str, JurisdictionView] = {}
    grouped: dict[int, list[MemberView]] = {}
    start = _HOUSEHOLD_WIDTH
    for row in rows:
        hid = row.id
        if hid not in households:
            households[hid] = row
            if row.village_unit_code is not None:
                units[row.village_unit_code] = _Unit(*row[start : start + 4])
            if row.county_unit_code is not None:
                units[row.county_unit_code] = _Unit(*row[start + 4 : start + 8])
            if members:
                grouped[hid] = []
        if members and row.member_id is not None:
            grouped[hid].append(_MemberRow(*row[start + 8 :]))
    return households, units, grouped


@shaped
def _by_registry_nos(scope: ScopeShape, array: bool) -> Select[Any]:
    table = Household.__table__
    return select(*view_columns()).where(
        keys_in(table.c.registry_no, "keys", String(), array=array),
        in_scope_bound(table.c.village_code, scope),
    )


async def by_registry_nos(
    session: AsyncSession, keys: Sequence[str], *, scope: Scope
) -> dict[str, HouseholdView]:
    """Households by registry number, as rows (no ORM instances: api/db/views.py)."""
    rows = await direct.rows(
        session,
        _by_registry_nos(scope_shape(scope), arrays(session)),
        {"keys": list(keys)} | scope_values(scope),
    )
    return {row.registry_no: row for row in rows}


def member_counts_in(year: int | ColumnElement[int]) -> ColumnElement[bool]:
    """SQL form of api.domain.income.member_counts_in (on the table's columns, so a Core
    statement such as the page's stays Core)."""
    members = Member.__table__.c
    return and_(
        or_(members.joined_year.is_(None), members.joined_year <= year),
        or_(members.left_year.is_(None), members.left_year > year),
    )


def registered_poor_in(year: int) -> ColumnElement[bool]:
    """SQL form of api.domain.households.registered_poor_in."""
    return and_(
        Household.registered_year <= year,
        or_(
            Household.exited_year.is_(None),
            Household.exited_year > year,
            and_(
                Household.returned_year.is_not(None),
                Household.returned_year >= Household.exited_year,
                Household.returned_year <= year,
            ),
        ),
    )


_KINDS = list(IncomeKind)


def _accounts() -> Select[Any]:
    year = bindparam("year", type_=Member.joined_year.type)
    size = (
        select(func.count())
        .where(Member.household_id == Household.id, member_counts_in(year))
        .scalar_subquery()
    )
    return (
        select(
            Household.id,
            size,
            *(func.sum(IncomeRecord.amount).filter(IncomeRecord.kind == kind) for kind in _KINDS),
        )
        .outerjoin(
            IncomeRecord,
            and_(IncomeRecord.household_id == Household.id, IncomeRecord.year == year),
        )
        .where(Household.id.in_(bindparam("ids", expanding=True)))
        .group_by(Household.id)
    )


_ACCOUNTS = _accounts()


async def accounts(
    session: AsyncSession, ids: Sequence[int], *, year: int
) -> dict[int, tuple[int, list[IncomeLine]]]:
    """Members counted in ``year`` and the year's income summed by kind, per household,
    in one statement (api.domain.income decides what the kinds add up to)."""
    kinds = _KINDS
    rows = await session.execute(_ACCOUNTS, {"ids": list(ids), "year": year})
    return {
        row[0]: (
            int(row[1]),
            [IncomeLine(kind, total) for kind, total in zip(kinds, row[2:], strict=True) if total],
        )
        for row in rows
    }


async def latest_assessments(
    session: AsyncSession, ids: Sequence[int], *, year: int
) -> dict[int, Assessment]:
    rows = await session.scalars(
        select(Assessment)
        .where(Assessment.household_id.in_(ids), Assessment.year == year)
        .order_by(Assessment.household_id, Assessment.assessed_on, Assessment.id)
    )
    return {row.household_id: row for row in rows}  # later rows win


@shaped
def _members(array: bool) -> Select[Any]:
    table = Member.__table__
    return (
        select(table)
        .where(keys_in(table.c.household_id, "ids", BigInteger(), array=array))
        .order_by(table.c.id)
    )


async def members_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[MemberView]]:
    """Each household's members, as rows (api/db/views.py), in id order."""
    rows = await direct.rows(session, _members(arrays(session)), {"ids": list(ids)})
    grouped: dict[int, list[MemberView]] = {hid: [] for hid in ids}
    for row in rows:
        grouped[row.household_id].append(row)
    return grouped


async def count_under(
    session: AsyncSession, *, scope: Scope, under: str, exit_attributes: Sequence[str] = ()
) -> int:
    subquery = _under(scope, under, exit_attributes).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def income_records(
    session: AsyncSession, ids: Sequence[int], *, year: int
) -> dict[int, list[IncomeRecord]]:
    rows = await session.scalars(
        select(IncomeRecord)
        .where(IncomeRecord.household_id.in_(ids), IncomeRecord.year == year)
        .order_by(IncomeRecord.household_id, IncomeRecord.id)
    )
    grouped: dict[int, list[IncomeRecord]] = {i: [] for i in ids}
    for row in rows:
        grouped[row.household_id].append(row)
    return grouped


async def assessments(
    session: AsyncSession, ids: Sequence[int], *, year: int
) -> dict[int, list[Assessment]]:
    rows = await session.scalars(
        select(Assessment)
        .where(Assessment.household_id.in_(ids), Assessment.year == year)
        .order_by(Assessment.household_id, Assessment.assessed_on, Assessment.id)
    )
    grouped: dict[int, list[Assessment]] = {i: [] for i in ids}
    for row in rows:
        grouped[row.household_id].append(row)
    return grouped
