"""Reading the register: accounts, standard checks and incidence, scoped to the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.repositories import households as household_repo
from api.db.repositories import jurisdictions as jurisdiction_repo
from api.db.repositories import standards as standard_repo
from api.db.views import HouseholdView, MemberView
from api.domain import standards as std
from api.domain.idnumber import birth_date_of
from api.domain.income import HouseholdAccounts, IncomeLine, accounts
from api.domain.jurisdictions import Level, Scope, level_of
from api.domain.register import RegionClass
from api.domain.rules import StandardsPolicy
from api.domain.statistics import Figures
from api.services import statistics


async def household_accounts(
    session: AsyncSession, ids: Sequence[int], *, year: int
) -> dict[int, HouseholdAccounts]:
    found = await household_repo.accounts(session, ids, year=year)
    empty: tuple[int, list[IncomeLine]] = (0, [])
    return {
        hid: accounts(lines, size=size) for hid in ids for size, lines in [found.get(hid, empty)]
    }


async def check_households(
    session: AsyncSession,
    households: Sequence[HouseholdView],
    *,
    year: int,
    policy: StandardsPolicy,
) -> dict[int, std.StandardCheck]:
    """The household exit standard for ``year``, judged on recorded incomes, assessments
    and members, with the 十不脱 hard blocks after the standard's own criteria."""
    if not households:
        return {}
    window = max(policy.rules_for(h.village_code).stable_years for h in households)
    years = list(range(year - window + 1, year + 1))
    ids = [h.id for h in households]
    per_year = {y: await household_accounts(session, ids, year=y) for y in years}
    lines = [*await standard_repo.lines_for(session, years=years)]
    assessments = await household_repo.latest_assessments(session, ids, year=year)
    members = await household_repo.members_of(session, ids)
    checks: dict[int, std.StandardCheck] = {}
    for household in households:
        incomes = [
            std.IncomeYear(
                year=y,
                per_capita=per_year[y][household.id].per_capita,
                line=_line_amount(lines, household, y),
            )
            for y in years
        ]
        row = assessments.get(household.id)
        assessment = (
            None
            if row is None
            else std.Assessment(
                housing_grade=row.housing_grade,
                food_and_clothing_assured=row.food_and_clothing_assured,
                compulsory_education_assured=row.compulsory_education_assured,
                medical_insurance_enrolled=row.medical_insurance_enrolled,
                drinking_water_safe=row.drinking_water_safe,
            )
        )
        facts = std.HouseholdFacts(
            housing_grade=None if row is None else row.housing_grade,
            members=[_member_facts(m) for m in members[household.id]],
            income_kinds=per_year[year][household.id].kinds,
        )
        checks[household.id] = std.combine(
            std.check_household(
                year=year,
                incomes=incomes,
                assessment=assessment,
                rules=policy.rules_for(household.village_code),
            ),
            std.check_hard_blocks(year=year, facts=facts, blocks=policy.hard_blocks),
        )
    return checks


def _member_facts(member: MemberView) -> std.MemberFacts:
    return std.MemberFacts(
        relation=member.relation,
        birth_date=birth_date_of(member.id_number),
        schooling=member.schooling,
        health=member.health,
        serious_illness_treated=member.serious_illness_treated,
        joined_year=member.joined_year,
        left_year=member.left_year,
    )


def _line_amount(
    lines: Sequence[std.PovertyLine], household: HouseholdView, year: int
) -> Decimal | None:
    line = std.applicable_line(
        lines, unit_code=household.village_code, year=year, kind=household.standard_kind
    )
    return None if line is None else line.amount


@dataclass(frozen=True, slots=True)
class UnitIncidence:
    code: str
    year: int
    incidence: std.Incidence
    check: std.StandardCheck | None
    """Against the unit's exit bar; None for levels that do not exit (township, ...)."""


async def incidences(
    session: AsyncSession,
    codes: Sequence[str],
    *,
    year: int,
    scope: Scope,
    policy: StandardsPolicy,
) -> dict[str, UnitIncidence | None]:
    """Incidence per unit for ``year``, from the kept statistics; None for units outside
    the caller's scope.

    A unit is visible when the scope contains it (a township official sees the
    incidence of its township and of every village in it, not of its county).
    """
    found = await statistics.figures(session, codes, year=year, scope=scope)
    visible = [code for code, figures in found.items() if figures is not None]
    result: dict[str, UnitIncidence | None] = {code: None for code in codes}
    counties = [c for c in visible if level_of(c) is Level.COUNTY]
    regions = await jurisdiction_repo.county_region_classes(session, counties) if counties else {}
    for code in visible:
        figures = found[code]
        assert figures is not None
        result[code] = unit_incidence(code, figures, region=regions.get(code), policy=policy)
    return result


def unit_incidence(
    code: str, figures: Figures, *, region: RegionClass | None, policy: StandardsPolicy
) -> UnitIncidence:
    """A unit's incidence from its kept figures, judged against its exit bar (a county's
    by its region class: ``region``, general when not designated)."""
    incidence = figures.incidence
    bar = _bar_for(code, region, policy)
    return UnitIncidence(
        code=code,
        year=figures.year,
        incidence=incidence,
        check=None if bar is None else bar.check(incidence),
    )


def _bar_for(
    code: str, region: RegionClass | None, policy: StandardsPolicy
) -> std.IncidenceBar | None:
    level = level_of(code)
    if level is Level.VILLAGE:
        return policy.village_bar
    if level is Level.COUNTY:
        return policy.county_bars[region or RegionClass.GENERAL]
    return None
