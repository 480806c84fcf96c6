"""Statistics rows (``unit_statistics``): reading the histories they follow from, adding
changes, and reading a unit's rows back. The rules are ``api.domain.statistics``."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import polars as pl
from sqlalchemy import BigInteger, Select, String, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    CountyDesignationRow,
    ExitApplication,
    Household,
    Member,
    UnitStatistics,
    VillageDesignationRow,
    VillageIndicators,
)
from api.db.repositories.scoping import (
    ScopeShape,
    in_scope,
    in_scope_bound,
    scope_shape,
    scope_values,
)
from api.db.statements import arrays, keys_in, shaped
from api.domain.engine import Status
from api.domain.jurisdictions import Scope
from api.domain.register import SubjectKind
from api.domain.standards import VILLAGE_FACILITIES, Criterion
from api.domain.statistics import MEASURES, HouseholdHistory, Measure, MemberSpan, UnitChanges

CHUNK = 1_000
"""Household ids per history read (an IN list: well under bind limits)."""
UPSERT_ROWS = 10_000
"""Rows per executemany of the upsert (one compiled statement, run for each row)."""

_TABLE = UnitStatistics.__table__
_COLUMNS = [m.value for m in MEASURES]


_HOUSEHOLD_YEARS = (
    Household.id,
    Household.village_code,
    Household.registered_year,
    Household.exited_year,
    Household.returned_year,
)
"""What a household's statistics follow from, besides its members' years."""

_HISTORIES = (
    select(
        *_HOUSEHOLD_YEARS,
        Member.joined_year,
        Member.left_year,
        Member.id.is_not(None),
    )
    .outerjoin(Member, Member.household_id == Household.id)
    .order_by(Household.id)
)


@shaped
def _by_ids(array: bool) -> Select[Any]:
    ids = keys_in(Household.__table__.c.id, "ids", BigInteger(), array=array)
    return cast("Select[Any]", _HISTORIES.where(ids))


async def histories(session: AsyncSession, ids: Sequence[int]) -> dict[int, HouseholdHistory]:
    """The histories of the households with these ids (absent ids: not there)."""
    result: dict[int, HouseholdHistory] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await session.execute(
            _by_ids(arrays(session)), {"ids": list(ids[start : start + CHUNK])}
        )
        result.update(_grouped(rows))
    return result


_HOUSEHOLD_SCHEMA = {
    "key": pl.Int64,
    "village_code": pl.String,
    "registered_year": pl.Int64,
    "exited_year": pl.Int64,
    "returned_year": pl.Int64,
}
_MEMBER_SCHEMA = {"key": pl.Int64, "joined_year": pl.Int64, "left_year": pl.Int64}


async def every_household(
    session: AsyncSession, batch: int = 100_000
) -> AsyncIterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """Every household's history as frames (``api.domain.statistics_frames``), keyed by
    id, in keyset batches of households with their members."""
    after = 0
    while True:
        rows = (
            await session.execute(
                select(*_HOUSEHOLD_YEARS)
                .where(Household.id > after)
                .order_by(Household.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        low, high = rows[0][0], rows[-1][0]
        members = (
            await session.execute(
                select(Member.household_id, Member.joined_year, Member.left_year).where(
                    Member.household_id >= low, Member.household_id <= high
                )
            )
        ).all()
        yield (
            pl.DataFrame(rows, schema=_HOUSEHOLD_SCHEMA, orient="row"),
            pl.DataFrame(members, schema=_MEMBER_SCHEMA, orient="row"),
        )
        after = high


def _grouped(rows: Any) -> dict[int, HouseholdHistory]:
    heads: dict[int, tuple[str, int, int | None, int | None]] = {}
    spans: dict[int, list[MemberSpan]] = {}
    for hid, village, registered, exited, returned, joined, left, has_member in rows:
        if hid not in heads:
            heads[hid] = (village, registered, exited, returned)
            spans[hid] = []
        if has_member:
            spans[hid].append(MemberSpan(joined, left))
    return {
        hid: HouseholdHistory(village, registered, exited, returned, tuple(spans[hid]))
        for hid, (village, registered, exited, returned) in heads.items()
    }


def _upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (unit_code, year) DO UPDATE SET m = m + excluded.m``, one
    statement executed for many rows (compiled once, not as a VALUES list per call)."""
    table = cast("Table", _TABLE)
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_update(
        index_elements=["unit_code", "year"],
        set_={c: table.c[c] + insert.excluded[c] for c in _COLUMNS},
    )


_UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


async def add(session: AsyncSession, changes: UnitChanges) -> None:
    """Add ``changes`` to the stored rows (creating missing ones), in key order, so two
    writers touching the same units lock them in the same order."""
    if not changes:
        return
    statement = _UPSERTS[session.get_bind().dialect.name]
    keys = sorted(changes)
    for start in range(0, len(keys), UPSERT_ROWS):
        values = [
            {
                "unit_code": code,
                "year": year,
                **{m.value: changes[(code, year)].get(m, 0) for m in MEASURES},
            }
            for code, year in keys[start : start + UPSERT_ROWS]
        ]
        await session.execute(statement, values)


async def clear(session: AsyncSession) -> None:
    await session.execute(delete(UnitStatistics))


@shaped
def _rows_of(scope: ScopeShape, array: bool) -> Select[Any]:
    return select(_TABLE).where(
        keys_in(_TABLE.c.unit_code, "codes", String(), array=array),
        _TABLE.c.year <= bindparam("year"),
        in_scope_bound(_TABLE.c.unit_code, scope),
    )


async def rows_of(
    session: AsyncSession, codes: Sequence[str], *, year: int, scope: Scope
) -> dict[str, dict[int, Counter[Measure]]]:
    """Stored rows up to ``year`` of the units with these codes that ``scope`` covers."""
    query = _rows_of(scope_shape(scope), arrays(session))
    values = {"codes": list(codes), "year": year} | scope_values(scope)
    result: dict[str, dict[int, Counter[Measure]]] = {}
    for row in (await session.execute(query, values)).mappings():
        counts = Counter({m: row[m.value] for m in MEASURES if row[m.value]})
        result.setdefault(row["unit_code"], {})[row["year"]] = counts
    return result


@dataclass(frozen=True, slots=True)
class PoorVillageFacts:
    village_code: str
    poor_population: int
    """Registered poor population at the end of the year, from the kept rows."""
    rural_population: int
    facilities: dict[Criterion, bool] | None
    """None: no indicators recorded for the year."""


_FACILITY_COLUMNS = [VillageIndicators.__table__.c[c.value] for c in VILLAGE_FACILITIES]


async def poor_villages_under(
    session: AsyncSession, codes: Sequence[str], *, year: int
) -> list[PoorVillageFacts]:
    """Designated poor villages under any of ``codes`` (designated by ``year``), each with
    its registered poor population at the end of ``year`` and its indicators for the year."""
    poor = (
        select(_TABLE.c.unit_code, func.sum(_TABLE.c.poor_population).label("poor"))
        .where(in_scope(_TABLE.c.unit_code, Scope.of(*codes)), _TABLE.c.year <= year)
        .group_by(_TABLE.c.unit_code)
        .subquery()
    )
    indicators = VillageIndicators.__table__
    query = (
        select(
            VillageDesignationRow.village_code,
            poor.c.poor,
            indicators.c.year,
            indicators.c.rural_population,
            *_FACILITY_COLUMNS,
        )
        .outerjoin(poor, poor.c.unit_code == VillageDesignationRow.village_code)
        .outerjoin(
            indicators,
            (indicators.c.village_code == VillageDesignationRow.village_code)
            & (indicators.c.year == year),
        )
        .where(
            in_scope(VillageDesignationRow.village_code, Scope.of(*codes)),
            VillageDesignationRow.designated_year <= year,
        )
        .order_by(VillageDesignationRow.village_code)
    )
    result: list[PoorVillageFacts] = []
    for village, poor_population, recorded, rural, *present in await session.execute(query):
        result.append(
            PoorVillageFacts(
                village_code=village,
                poor_population=int(poor_population or 0),
                rural_population=int(rural or 0),
                facilities=None
                if recorded is None
                else {c: bool(v) for c, v in zip(VILLAGE_FACILITIES, present, strict=True)},
            )
        )
    return result


async def poor_counties_under(
    session: AsyncSession, codes: Sequence[str], *, year: int
) -> list[CountyDesignationRow]:
    """Designated poor counties under any of ``codes`` (designated by ``year``)."""
    rows = await session.scalars(
        select(CountyDesignationRow)
        .where(
            in_scope(CountyDesignationRow.county_code, Scope.of(*codes)),
            CountyDesignationRow.designated_year <= year,
        )
        .order_by(CountyDesignationRow.county_code)
    )
    return list(rows)


# ---------------------------------------------------------------- rebuild sources


async def applications(session: AsyncSession) -> list[tuple[SubjectKind, str, int]]:
    """(subject kind, unit code, year) of every exit application: the proposals."""
    rows = await session.execute(
        select(ExitApplication.subject_kind, ExitApplication.unit_code, ExitApplication.year)
    )
    return [(kind, code, year) for kind, code, year in rows]


async def exited_subjects(session: AsyncSession) -> list[tuple[SubjectKind, str, int]]:
    """(kind, code, year) of villages and counties marked exited: the year of the exit
    application that marked them, or the calendar year of the mark without one."""
    result: list[tuple[SubjectKind, str, int]] = []
    for kind, model, column in (
        (SubjectKind.VILLAGE, VillageDesignationRow, VillageDesignationRow.village_code),
        (SubjectKind.COUNTY, CountyDesignationRow, CountyDesignationRow.county_code),
    ):
        year = (
            select(func.max(ExitApplication.year))
            .where(
                ExitApplication.subject_kind == kind,
                ExitApplication.subject_key == column,
                ExitApplication.status == Status.EXITED,
            )
            .scalar_subquery()
        )
        rows = await session.execute(
            select(column, model.exited_on, year).where(model.exited_on.is_not(None))
        )
        result.extend((kind, code, found or on.year) for code, on, found in rows)
    return result


async def rural_populations(session: AsyncSession) -> list[tuple[str, int, int]]:
    rows = await session.execute(
        select(
            VillageIndicators.village_code,
            VillageIndicators.year,
            VillageIndicators.rural_population,
        )
    )
    return [(code, year, rural) for code, year, rural in rows]
