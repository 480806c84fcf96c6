"""Plain factory functions for database tests: each makes one row with sane defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.idnumber import check_character
from api.domain.jurisdictions import level_of, parent_code
from api.domain.register import (
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    HousingGrade,
    IncomeKind,
    LabourCapacity,
    PovertyCause,
    Relation,
    SchoolingStatus,
    StandardKind,
)
from api.services import statistics

NOW = datetime(2016, 12, 1, tzinfo=UTC)
_serial = count(1)

# A fictional province (98) so factory rows never meet the demo's real units.
PROVINCE = "98"


async def units(session: AsyncSession, *codes: str) -> None:
    """Create the given units and every ancestor they need."""
    wanted: set[str] = set()
    for code in codes:
        wanted.add(code)
        current = parent_code(code)
        while current is not None:
            wanted.add(current)
            current = parent_code(current)
    for code in sorted(wanted, key=len):
        if await session.get(models.Jurisdiction, code) is None:
            session.add(
                models.Jurisdiction(
                    code=code,
                    name=f"单位{code}",
                    level=level_of(code),
                    parent_code=parent_code(code),
                )
            )
            await session.flush()


async def household(session: AsyncSession, village: str, **overrides: Any) -> models.Household:
    n = next(_serial)
    values: dict[str, Any] = {
        "registry_no": f"T{village}{n:05d}",
        "village_code": village,
        "villager_group": "1组",
        "head_name": f"测试户{n}",
        "phone": None,
        "bank_account": None,
        "standard_kind": StandardKind.NATIONAL,
        "attribute": HouseholdAttribute.GENERAL,
        "main_cause": PovertyCause.ILLNESS,
        "second_cause": None,
        "third_cause": None,
        "exit_attribute": ExitAttribute.NOT_EXITED,
        "registered_year": 2014,
        "exited_year": None,
        "returned_year": None,
        "created_at": NOW,
    }
    values.update(overrides)
    row = models.Household(**values)
    session.add(row)
    await session.flush()
    await statistics.added_ids(session, [row.id])
    return row


async def member(
    session: AsyncSession, household: models.Household, **overrides: Any
) -> models.Member:
    n = next(_serial)
    body = f"{household.village_code[:6]}19800101{n % 1000:03d}"
    body = f"{PROVINCE}{body[2:]}" if household.village_code.startswith(PROVINCE) else body
    values: dict[str, Any] = {
        "household_id": household.id,
        "name": f"成员{n}",
        "id_number": body + check_character(body),
        "relation": Relation.HEAD,
        "ethnicity": "汉族",
        "education": Education.PRIMARY,
        "schooling": SchoolingStatus.NOT_APPLICABLE,
        "health": Health.HEALTHY,
        "labour_capacity": LabourCapacity.ORDINARY,
        "migrant_work_months": 0,
        "medical_insurance": True,
        "serious_illness_insurance": True,
        "pension_insurance": True,
        "joined_year": None,
        "left_year": None,
    }
    values.update(overrides)
    row = models.Member(**values)
    async with statistics.track(session, [household.id]):
        session.add(row)
    return row


async def income(
    session: AsyncSession, household: models.Household, year: int, kind: IncomeKind, amount: str
) -> None:
    session.add(
        models.IncomeRecord(
            household_id=household.id,
            year=year,
            kind=kind,
            amount=Decimal(amount),
            note=None,
            recorded_at=NOW,
        )
    )
    await session.flush()


async def assessment(
    session: AsyncSession, household: models.Household, year: int, **overrides: Any
) -> models.Assessment:
    values: dict[str, Any] = {
        "household_id": household.id,
        "year": year,
        "assessed_on": date(year, 10, 1),
        "housing_grade": HousingGrade.A,
        "food_and_clothing_assured": True,
        "compulsory_education_assured": True,
        "medical_insurance_enrolled": True,
        "drinking_water_safe": True,
        "assessor_name": "驻村工作队",
        "assessor_role": "resident_work_team",
        "evidence": "入户核查表",
        "recorded_at": NOW,
    }
    values.update(overrides)
    row = models.Assessment(**values)
    session.add(row)
    await session.flush()
    return row


async def indicators(session: AsyncSession, village: str, year: int, rural: int) -> None:
    session.add(
        models.VillageIndicators(
            village_code=village,
            year=year,
            rural_population=rural,
            hamlet_road_paved=True,
            broadband=True,
            radio_and_cable_tv=True,
            clinic_with_doctor=True,
            cultural_venue=True,
            collective_income=Decimal("50000"),
        )
    )
    await session.flush()
    await statistics.rural_recorded(session, village, year, before=0, after=rural)
