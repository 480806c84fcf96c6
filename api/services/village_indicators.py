"""A village's indicators of a year, recorded by the county: its rural population (the
denominator of incidence, kept in the statistics) and its facilities (what Heilongjiang's
village exit checks: a paved road to the main hamlet, broadband, radio and cable
television, a clinic with a doctor, a venue for cultural activities), and the
collective's income.

The county records them (the statistics' owner: its statistics and poverty-alleviation
offices), for a village in its jurisdiction; the statistics move with the rural
population in the same transaction, and the change is in the ledger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import select

from api.authz.policy import Action
from api.db.models import Jurisdiction, VillageIndicators
from api.db.repositories.scoping import in_scope
from api.domain.jurisdictions import CODE_LENGTHS, Level
from api.domain.roles import Principal
from api.domain.years import check_year
from api.errors import NotFound, ValidationFailed
from api.services import access, ledger, statistics
from api.services.workflow import Env, flush_or_conflict

OBJECT = "village_indicators"
MAX_RURAL_POPULATION = 100_000
"""More people than any administrative village holds: a typing error, refused."""


@dataclass(frozen=True, slots=True)
class Indicators:
    rural_population: int
    hamlet_road_paved: bool
    broadband: bool
    radio_and_cable_tv: bool
    clinic_with_doctor: bool
    cultural_venue: bool
    collective_income: Decimal


def check(indicators: Indicators) -> None:
    if not 0 <= indicators.rural_population <= MAX_RURAL_POPULATION:
        raise ValidationFailed(
            f"a village's rural population is 0 to {MAX_RURAL_POPULATION:,}",
            path=("ruralPopulation",),
        )
    income = indicators.collective_income
    if not income.is_finite() or income < 0 or income.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed(
            "the collective's income is a non-negative amount in yuan, to the fen",
            path=("collectiveIncome",),
        )


async def record(
    env: Env, principal: Principal, *, village_code: str, year: int, indicators: Indicators
) -> VillageIndicators:
    """The village's indicators of ``year``, as given (a second record replaces the first)."""
    check_year(year)
    is_code = village_code.isascii() and village_code.isdigit()
    if not is_code or len(village_code) != CODE_LENGTHS[Level.VILLAGE]:
        raise ValidationFailed(
            "indicators are a village's (a 12-digit code)", path=("villageCode",)
        )
    check(indicators)
    village = await env.session.scalar(
        select(Jurisdiction.code).where(
            Jurisdiction.code == village_code,
            in_scope(Jurisdiction.code, principal.read_scope()),
        )
    )
    if village is None:
        raise NotFound("village", village_code)
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=village_code,
        obj=OBJECT,
        action=Action.RECORD,
    )
    # Locked: two records of the same year must not both move the statistics from the
    # same "before" (a new row's race ends in the primary key's Conflict instead).
    row = await env.session.get(VillageIndicators, (village_code, year), with_for_update=True)
    before = 0 if row is None else row.rural_population
    if row is None:
        row = VillageIndicators(village_code=village_code, year=year, **asdict(indicators))
        env.session.add(row)
    else:
        for name, value in asdict(indicators).items():
            setattr(row, name, value)
    await statistics.rural_recorded(
        env.session, village_code, year, before=before, after=indicators.rural_population
    )
    await flush_or_conflict(env)
    detail = {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(indicators).items()}
    await ledger.append(
        env.session,
        actor=principal,
        action="record_village_indicators",
        object_kind="village",
        object_id=village_code,
        unit_code=village_code,
        at=env.now,
        detail={"year": year, **detail, "rural_population_before": before},
    )
    return row
