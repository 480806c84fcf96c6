"""The demo is deterministic, real where it can be and straddles every standard."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.demo.generator import YEAR, DemoData, generate
from api.domain.idnumber import parse_id_number
from api.domain.jurisdictions import Level, Scope
from api.domain.standards import Criterion
from api.policy_files import standards
from api.services import registry


def test_the_same_seed_gives_the_same_data(demo_data: DemoData) -> None:
    again = generate(standards())
    assert again.households == demo_data.households
    assert again.members == demo_data.members
    assert generate(standards(), seed=7).members != demo_data.members


def test_units_are_the_real_heilongjiang_and_lanshan_codes(demo_data: DemoData) -> None:
    names = {row["code"]: row["name"] for row in demo_data.jurisdictions}
    assert names["23"] == "黑龙江省"
    assert names["2302"] == "齐齐哈尔市"
    assert names["230231"] == "拜泉县"
    assert names["230223"] == "依安县"
    assert names["371302"] == "兰山区"
    designations = {r["county_code"]: r["designation"] for r in demo_data.county_designations}
    assert designations == {"230231": "national", "230223": "provincial"}
    levels = Counter(row["level"] for row in demo_data.jurisdictions)
    assert levels[Level.VILLAGE] >= 40
    assert levels[Level.TOWNSHIP] >= 17
    assert 2000 <= len(demo_data.households) <= 5000


def test_every_member_has_a_valid_id_number(demo_data: DemoData) -> None:
    numbers = [parse_id_number(m["id_number"]).value for m in demo_data.members]
    assert len(set(numbers)) == len(numbers)


async def test_households_straddle_the_standard(session: AsyncSession) -> None:
    households = (await session.execute(select(models.Household))).scalars().all()
    checks = await registry.check_households(session, households, year=YEAR, policy=standards())
    met = sum(check.met for check in checks.values())
    assert 0 < met < len(households)
    accounts = await registry.household_accounts(session, [h.id for h in households], year=YEAR)
    on_the_line = [
        hid
        for hid, acc in accounts.items()
        if acc.per_capita in (Decimal("2952.00"), Decimal("3200.00"), Decimal("3300.00"))
    ]
    assert on_the_line
    assert all(Criterion.INCOME in checks[hid].failed for hid in on_the_line)


async def test_villages_straddle_the_bar_with_one_exactly_on_it(session: AsyncSession) -> None:
    villages = [
        code
        for code in (
            await session.execute(
                select(models.Jurisdiction.code).where(models.Jurisdiction.level == Level.VILLAGE)
            )
        ).scalars()
    ]
    found = await registry.incidences(
        session, villages, year=YEAR, scope=Scope.all(), policy=standards()
    )
    results = [unit for unit in found.values() if unit is not None]
    passing = [u for u in results if u.check is not None and u.check.met]
    assert 0 < len(passing) < len(results)
    assert any(
        str(u.incidence.percent) == "2.00" and u.incidence.poor * 50 == u.incidence.rural
        for u in passing
    )
