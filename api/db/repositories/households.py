"""Household register reads: pages of a subtree, yearly accounts and assessments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Assessment, Household, IncomeRecord, Member
from api.db.repositories.scoping import in_scope, in_subtree
from api.domain.income import IncomeLine
from api.domain.jurisdictions import Scope
from api.domain.register import IncomeKind

HouseholdKey = tuple[str, int]
"""Keyset position of a household: (village_code, id)."""


def _under(scope: Scope, under: str, exit_attributes: Sequence[str]) -> Select[Household]:
    query = select(Household).where(
        in_subtree(Household.village_code, under), in_scope(Household.village_code, scope)
    )
    if exit_attributes:
        query = query.where(Household.exit_attribute.in_(exit_attributes))
    return query


async def page(
    session: AsyncSession,
    *,
    scope: Scope,
    under: str,
    after: HouseholdKey | None,
    first: int,
    exit_attributes: Sequence[str] = (),
) -> list[Household]:
    """Up to ``first`` households under ``under`` that ``scope`` may see, after ``after``.

    Returns one row more than asked when there is a next page; the caller trims it.
    """
    query = _under(scope, under, exit_attributes)
    if after is not None:
        query = query.where(tuple_(Household.village_code, Household.id) > tuple_(*after))
    query = query.order_by(Household.village_code, Household.id).limit(first + 1)
    return list(await session.scalars(query))


async def by_ids(
    session: AsyncSession, ids: Sequence[int], *, scope: Scope
) -> dict[int, Household]:
    rows = await session.scalars(
        select(Household).where(Household.id.in_(ids), in_scope(Household.village_code, scope))
    )
    return {row.id: row for row in rows}


async def by_registry_nos(
    session: AsyncSession, keys: Sequence[str], *, scope: Scope
) -> dict[str, Household]:
    rows = await session.scalars(
        select(Household).where(
            Household.registry_no.in_(keys), in_scope(Household.village_code, scope)
        )
    )
    return {row.registry_no: row for row in rows}


def member_counts_in(year: int) -> ColumnElement[bool]:
    """SQL form of api.domain.income.member_counts_in."""
    return and_(
        or_(Member.joined_year.is_(None), Member.joined_year <= year),
        or_(Member.left_year.is_(None), Member.left_year > year),
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


async def accounts(
    session: AsyncSession, ids: Sequence[int], *, year: int
) -> dict[int, tuple[int, list[IncomeLine]]]:
    """Members counted in ``year`` and the year's income summed by kind, per household,
    in one statement (api.domain.income decides what the kinds add up to)."""
    size = (
        select(func.count())
        .where(Member.household_id == Household.id, member_counts_in(year))
        .scalar_subquery()
    )
    kinds = list(IncomeKind)
    rows = await session.execute(
        select(
            Household.id,
            size,
            *(func.sum(IncomeRecord.amount).filter(IncomeRecord.kind == kind) for kind in kinds),
        )
        .outerjoin(
            IncomeRecord,
            and_(IncomeRecord.household_id == Household.id, IncomeRecord.year == year),
        )
        .where(Household.id.in_(ids))
        .group_by(Household.id)
    )
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


async def members_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Member]]:
    rows = await session.scalars(
        select(Member).where(Member.household_id.in_(ids)).order_by(Member.id)
    )
    grouped: dict[int, list[Member]] = {hid: [] for hid in ids}
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
