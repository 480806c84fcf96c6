"""The register's reads on a real database: scoping, keyset pages, incidence, checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.db.repositories import households as household_repo
from api.domain.households import registered_poor_in
from api.domain.income import member_counts_in
from api.domain.jurisdictions import Scope
from api.domain.register import IncomeKind as K
from api.domain.register import StandardKind
from api.domain.standards import Criterion
from api.policy_files import standards
from api.services import registry, statistics
from tests import factories as f

V1, V2 = "981101001001", "981101001002"  # two villages of one township
FOREIGN = "981201001001"  # a village in another county


async def test_pages_walk_a_subtree_in_key_order_without_gaps(session: AsyncSession) -> None:
    await f.units(session, V1, V2, FOREIGN)
    made = [await f.household(session, v) for v in (V2, V1, V2, V1, V1, FOREIGN)]
    seen: list[int] = []
    after = None
    while True:
        rows = await household_repo.page(
            session, scope=Scope.all(), under="981101", after=after, first=2
        )
        seen += [r.id for r in rows[:2]]
        if len(rows) <= 2:
            break
        after = (rows[1].village_code, rows[1].id)
    expected = sorted((h.village_code, h.id) for h in made if h.village_code != FOREIGN)
    assert seen == [hid for _, hid in expected]


async def test_a_page_shows_only_what_the_scope_covers(session: AsyncSession) -> None:
    await f.units(session, V1, V2, FOREIGN)
    mine = await f.household(session, V1)
    await f.household(session, V2)
    await f.household(session, FOREIGN)
    village_only = Scope.of(V1)
    rows = await household_repo.page(session, scope=village_only, under="98", after=None, first=50)
    assert [r.id for r in rows] == [mine.id]
    foreign = Scope.of("981201")
    rows = await household_repo.page(session, scope=foreign, under=V1, after=None, first=50)
    assert rows == []
    rows = await household_repo.page(
        session, scope=Scope.nothing(), under="98", after=None, first=50
    )
    assert rows == []


async def test_incidence_counts_members_of_registered_poor_households(
    session: AsyncSession,
) -> None:
    await f.units(session, V1, V2)
    poor = await f.household(session, V1)
    for _ in range(3):
        await f.member(session, poor)
    await f.member(session, poor, left_year=2016)  # left: not counted for 2016
    exited = await f.household(session, V1, exited_year=2015)
    await f.member(session, exited)
    returned = await f.household(session, V2, exited_year=2015, returned_year=2016)
    await f.member(session, returned)
    await f.indicators(session, V1, 2016, rural=150)
    await f.indicators(session, V2, 2016, rural=50)

    codes = [V1, V2, "981101001", "9811"]
    found = await statistics.figures(session, codes, year=2016, scope=Scope.all())
    populations = {
        code: (figures.poor_population, figures.rural_population)
        for code, figures in found.items()
        if figures is not None
    }
    assert populations == {V1: (3, 150), V2: (1, 50), "981101001": (4, 200), "9811": (4, 200)}


async def test_a_village_at_exactly_two_percent_meets_the_bar(session: AsyncSession) -> None:
    await f.units(session, V1)
    household = await f.household(session, V1)
    for _ in range(2):
        await f.member(session, household)
    await f.indicators(session, V1, 2016, rural=100)
    result = await registry.incidences(
        session, [V1], year=2016, scope=Scope.of("98"), policy=standards()
    )
    unit = result[V1]
    assert unit is not None
    assert unit.incidence.percent == Decimal("2.00")
    assert unit.check is not None
    assert unit.check.met
    await f.member(session, household)  # 3%
    again = await registry.incidences(
        session, [V1], year=2016, scope=Scope.of("98"), policy=standards()
    )
    assert again[V1] is not None
    assert again[V1].check is not None
    assert again[V1].check.failed == (Criterion.INCIDENCE,)


async def test_incidence_is_withheld_outside_the_scope(session: AsyncSession) -> None:
    await f.units(session, V1, FOREIGN)
    result = await registry.incidences(
        session, [V1, FOREIGN], year=2016, scope=Scope.of("981101"), policy=standards()
    )
    assert result[V1] is not None
    assert result[FOREIGN] is None


async def test_household_check_judges_recorded_income_against_the_national_line(
    session: AsyncSession,
) -> None:
    await f.units(session, V1)
    session.add(
        models.PovertyStandard(
            applies_to="98",
            year=2016,
            kind=StandardKind.PROVINCIAL,
            amount=Decimal("3500"),
            source="test",
        )
    )
    at_line = await f.household(session, V1)
    above = await f.household(session, V1)
    provincial = await f.household(session, V1, standard_kind=StandardKind.PROVINCIAL)
    for household in (at_line, above, provincial):
        await f.member(session, household)
        await f.member(session, household)
        await f.assessment(session, household, 2016)
    # National line 2016 is 2952 (from the demo's standards); two members each.
    await f.income(session, at_line, 2016, K.WAGE, "6504")
    await f.income(session, at_line, 2016, K.COST, "600")  # net 5904 -> 2952.00 each
    await f.income(session, above, 2016, K.WAGE, "5904.02")  # 2952.01 each
    await f.income(session, provincial, 2016, K.WAGE, "6000")  # 3000 < 3500
    checks = await registry.check_households(
        session, [at_line, above, provincial], year=2016, policy=standards()
    )
    assert checks[at_line.id].failed == (Criterion.INCOME,)
    assert checks[above.id].met
    assert "line 3500" in checks[provincial.id].shortfalls[0].detail


async def test_the_latest_assessment_of_the_year_counts(session: AsyncSession) -> None:
    from datetime import date

    await f.units(session, V1)
    household = await f.household(session, V1)
    await f.assessment(session, household, 2016, housing_grade="C", assessed_on=date(2016, 5, 1))
    await f.assessment(session, household, 2016, housing_grade="B", assessed_on=date(2016, 9, 1))
    latest = await household_repo.latest_assessments(session, [household.id], year=2016)
    assert latest[household.id].housing_grade == "B"


@pytest.mark.parametrize("year", [2015, 2016, 2017])
async def test_sql_and_python_agree_on_who_is_poor(session: AsyncSession, year: int) -> None:
    """The repository's SQL predicates state the domain's rules; check them on the demo."""
    rows = (
        (
            await session.execute(
                select(models.Household).where(household_repo.registered_poor_in(year))
            )
        )
        .scalars()
        .all()
    )
    in_sql = {h.id for h in rows}
    everyone = (await session.execute(select(models.Household))).scalars().all()
    in_python = {
        h.id
        for h in everyone
        if registered_poor_in(
            year,
            registered_year=h.registered_year,
            exited_year=h.exited_year,
            returned_year=h.returned_year,
        )
    }
    assert in_sql == in_python
    assert in_sql
    members = (await session.execute(select(models.Member))).scalars().all()
    counted_sql = set(
        (
            await session.execute(
                select(models.Member.id).where(household_repo.member_counts_in(year))
            )
        ).scalars()
    )
    counted_py = {
        m.id
        for m in members
        if member_counts_in(year, joined_year=m.joined_year, left_year=m.left_year)
    }
    assert counted_sql == counted_py
