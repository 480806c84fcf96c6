"""Keeping statistics as changes happen, and reading them back per unit and year.

Every write that changes what a statistic counts calls in here, in its own transaction:
a household's history before and after (``track``), new households (``added``), an exit
application opened (``proposed``), a village's or county's exit marked or revoked
(``subject_exited``), a village's rural population recorded (``rural_recorded``).
``rebuild`` recomputes every row from the register, for databases loaded in bulk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.db.repositories import statistics as repo
from api.domain import statistics as stats
from api.domain import statistics_frames as frames
from api.domain.jurisdictions import Scope
from api.domain.procedures import Check
from api.domain.register import SubjectKind
from api.domain.roles import Principal
from api.domain.rules import StandardsPolicy
from api.domain.standards import Incidence
from api.domain.statistics import Figures, HouseholdHistory, Measure, UnitChanges
from api.errors import NotFound, ValidationFailed
from api.procedure_files import ProcedureBook
from api.services import access

_PROPOSED = {
    SubjectKind.HOUSEHOLD: Measure.PROPOSED_HOUSEHOLDS,
    SubjectKind.VILLAGE: Measure.PROPOSED_VILLAGES,
    SubjectKind.COUNTY: Measure.PROPOSED_COUNTIES,
}
_EXITED = {
    SubjectKind.VILLAGE: Measure.EXITED_VILLAGES,
    SubjectKind.COUNTY: Measure.EXITED_COUNTIES,
}


class _Keep:
    """A year ``years_set`` leaves as it is."""


_KEEP = _Keep()


@asynccontextmanager
async def track(session: AsyncSession, household_ids: Sequence[int]) -> AsyncIterator[None]:
    """Around a change to these households (their years, village or members): store the
    difference their histories make. Two reads and one write, whatever the change."""
    ids = sorted(set(household_ids))
    before = await repo.histories(session, ids)
    yield
    await session.flush()
    after = await repo.histories(session, ids)
    await repo.add(session, stats.households_by_unit((before.get(i), after.get(i)) for i in ids))


async def years_set(
    session: AsyncSession,
    household_id: int,
    *,
    exited_year: int | _Keep | None = _KEEP,
    returned_year: int | _Keep | None = _KEEP,
) -> None:
    """Before a household's exit or return year is set (its village and members stay):
    store the difference. One read, no flush, where ``track`` reads before and after."""
    before = (await repo.histories(session, [household_id]))[household_id]
    after = before
    if not isinstance(exited_year, _Keep):
        after = replace(after, exited_year=exited_year)
    if not isinstance(returned_year, _Keep):
        after = replace(after, returned_year=returned_year)
    await repo.add(session, stats.households_by_unit([(before, after)]))


async def changed(
    session: AsyncSession, pairs: Iterable[tuple[HouseholdHistory, HouseholdHistory]]
) -> None:
    """Households changed, each history before and after known to the writer (no read)."""
    await repo.add(session, stats.households_by_unit(pairs))


async def added(session: AsyncSession, histories: Iterable[HouseholdHistory]) -> None:
    """New households, their histories known to the writer (no read back)."""
    await repo.add(session, stats.households_by_unit((None, h) for h in histories))


async def added_frames(
    session: AsyncSession, households: pl.DataFrame, members: pl.DataFrame
) -> None:
    """New households as the frames a bulk import wrote (``api.domain.statistics_frames``)."""
    await repo.add(session, frames.changes_by_unit(households, members))


async def added_ids(session: AsyncSession, household_ids: Sequence[int]) -> None:
    """New households written without their histories at hand: read them back."""
    found = await repo.histories(session, household_ids)
    await added(session, found.values())


async def proposed(session: AsyncSession, subjects: Iterable[tuple[SubjectKind, str, int]]) -> None:
    """Exit applications opened, as (kind, unit code, year): subjects proposed (拟退出)."""
    changes: UnitChanges = {}
    for kind, unit_code, year in subjects:
        stats.by_unit(unit_code, stats.event(year, _PROPOSED[kind]), changes)
    await repo.add(session, changes)


async def subject_exited(
    session: AsyncSession, kind: SubjectKind, code: str, year: int, *, revoked: bool = False
) -> None:
    """A village's or county's exit marked for ``year`` (or, revoked, lifted)."""
    change = stats.event(year, _EXITED[kind], -1 if revoked else 1)
    await repo.add(session, stats.by_unit(code, change))


async def rural_recorded(
    session: AsyncSession, village_code: str, year: int, *, before: int, after: int
) -> None:
    """A village's rural population for ``year`` recorded (``before`` 0 if new)."""
    if before != after:
        change = stats.event(year, Measure.RURAL_POPULATION, after - before)
        await repo.add(session, stats.by_unit(village_code, change))


async def rebuild(session: AsyncSession) -> int:
    """Recompute every row from the register, the applications, the designations and the
    indicators (after a bulk load, or to check the kept rows); returns the households
    read. The caller commits."""
    await repo.clear(session)
    changes: UnitChanges = {}
    households = 0
    async for batch, members in repo.every_household(session):
        households += batch.height
        for key, counts in frames.changes_by_unit(batch, members).items():
            changes.setdefault(key, Counter()).update(counts)
    for kind, code, year in await repo.applications(session):
        stats.by_unit(code, stats.event(year, _PROPOSED[kind]), changes)
    for kind, code, year in await repo.exited_subjects(session):
        stats.by_unit(code, stats.event(year, _EXITED[kind]), changes)
    for code, year, rural in await repo.rural_populations(session):
        stats.by_unit(code, stats.event(year, Measure.RURAL_POPULATION, rural), changes)
    await repo.add(session, changes)
    return households


# ---------------------------------------------------------------- reading

OBJECT = "statistics"


async def readable(session: AsyncSession, authorizer: Authorizer, principal: Principal) -> None:
    """NotPermitted unless the principal's role reads statistics (policies/policy.base.csv);
    what it reads is then scoped to its jurisdiction in SQL."""
    await access.authorize_reading(session, authorizer, principal, OBJECT)


async def figures(
    session: AsyncSession, codes: Sequence[str], *, year: int, scope: Scope
) -> dict[str, Figures | None]:
    """Each unit's figures for ``year``; None for units outside ``scope`` (the scope is
    a predicate of the read; a unit in scope with no rows has all zeros)."""
    rows = await repo.rows_of(session, codes, year=year, scope=scope)
    return {
        code: stats.fold(year, rows.get(code, {})) if scope.covers(code) else None for code in codes
    }


async def tallies(
    session: AsyncSession,
    codes: Sequence[str],
    *,
    year: int,
    book: ProcedureBook,
    policy: StandardsPolicy,
) -> dict[str, tuple[stats.Tally, stats.Tally]]:
    """For each unit, its designated poor villages and counties and how many of them meet
    the standard their exit is judged on (the proposal's checks, on the kept figures).
    Three reads, whatever the number of units."""
    villages = await repo.poor_villages_under(session, codes, year=year)
    village_met = {
        v.village_code: stats.subject_check(
            Incidence(poor=v.poor_population, rural=v.rural_population),
            bar=policy.village_bar,
            checks=_checks(book, v.village_code, SubjectKind.VILLAGE),
            facilities=v.facilities,
            year=year,
        ).met
        for v in villages
    }
    counties = await repo.poor_counties_under(session, codes, year=year)
    county_rows = await repo.rows_of(
        session, [c.county_code for c in counties], year=year, scope=Scope.all()
    )
    county_met = {}
    for county in counties:
        found = stats.fold(year, county_rows.get(county.county_code, {}))
        county_met[county.county_code] = stats.subject_check(
            found.incidence,
            bar=policy.county_bars[county.region_class],
            checks=_checks(book, county.county_code, SubjectKind.COUNTY),
            facilities=None,
            year=year,
        ).met
    return {code: (stats.tally(code, village_met), stats.tally(code, county_met)) for code in codes}


def _checks(book: ProcedureBook, code: str, kind: SubjectKind) -> tuple[Check, ...]:
    """The checks of the procedure governing ``code``; a unit no procedure governs is
    judged on its incidence alone."""
    try:
        return book.for_unit(code).for_kind(kind).checks
    except (NotFound, ValidationFailed):
        return (Check.INCIDENCE,)
