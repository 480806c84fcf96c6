"""Regressions found in review: each case once allowed something it must not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import ExitAttribute, IncomeKind, SubjectKind
from api.domain.roles import Role
from api.errors import InvalidTransition, StandardNotMet, ValidationFailed
from api.policy_files import standards
from api.services import access, exits, registry
from tests.scenarios import T0, Cast, env, evidence, household_village, later, official


async def eligible(session: AsyncSession, village: str) -> str:
    rows = (
        (
            await session.execute(
                select(models.Household).where(
                    models.Household.village_code == village,
                    models.Household.exit_attribute == ExitAttribute.NOT_EXITED,
                )
            )
        )
        .scalars()
        .all()
    )
    checks = await registry.check_households(session, rows, year=2016, policy=standards())
    return next(h.registry_no for h in rows if checks[h.id].met)


async def test_a_subject_has_one_open_application_whatever_the_year(
    session: AsyncSession,
) -> None:
    village = await household_village(session)
    key = await eligible(session, village)
    committee = await official(session, Role.VILLAGE_COMMITTEES, village)
    e = env(session)
    await exits.propose(
        e,
        committee,
        kind=SubjectKind.HOUSEHOLD,
        unit_code=village,
        year=2016,
        subjects=[key],
        evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
    )
    with pytest.raises(InvalidTransition, match="open exit application"):
        await exits.propose(
            later(e, days=400),
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=2017,
            subjects=[key],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    with pytest.raises(ValidationFailed, match="year must be between"):
        await exits.propose(
            e,
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=2030,
            subjects=[key],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )


async def test_re_approving_the_first_stage_judges_the_standard_again(
    session: AsyncSession,
) -> None:
    village = await household_village(session)
    key = await eligible(session, village)
    cast = Cast(session)
    committee = await cast.pick(Role.VILLAGE_COMMITTEES, village)
    team = await cast.pick(Role.RESIDENT_WORK_TEAM, village)
    e = env(session)
    (application,) = (
        await exits.propose(
            e,
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=2016,
            subjects=[key],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    ).applications
    await exits.perform(
        e,
        team,
        application_id=application.id,
        stage="verification",
        decision=Decision.RETURN,
        return_to="appraisal",
        reason="收入未如实登记",
    )
    await session.execute(
        update(models.IncomeRecord)
        .where(
            models.IncomeRecord.household_id == application.household_id,
            models.IncomeRecord.year == 2016,
            models.IncomeRecord.kind != IncomeKind.COST,
        )
        .values(amount=Decimal("0"))
    )
    other = await cast.pick(Role.VILLAGE_COMMITTEES, village, not_=team.subject)
    with pytest.raises(StandardNotMet, match="income"):
        await exits.perform(
            later(e, hours=1),
            other,
            application_id=application.id,
            stage="appraisal",
            decision=Decision.APPROVE,
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )


async def test_a_return_to_poverty_is_judged_on_a_recorded_year_after_the_exit(
    session: AsyncSession,
) -> None:
    exited = (
        (
            await session.execute(
                select(models.Household).where(
                    models.Household.village_code.startswith("230231"),
                    models.Household.exited_year == 2015,
                    models.Household.exit_attribute == ExitAttribute.EXITED_SUPPORTED,
                )
            )
        )
        .scalars()
        .first()
    )
    assert exited is not None
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    for year, message in (
        (1990, "after the exit"),
        (2015, "after the exit"),
        (2017, "not in the future"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            await exits.return_to_poverty(
                env(session), county, registry_no=exited.registry_no, year=year
            )


async def test_a_holding_is_granted_once(session: AsyncSession) -> None:
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    await access.assign_role(
        session,
        access_authorizer(),
        county,
        subject="li.si",
        role=Role.FIRST_SECRETARY,
        jurisdiction="230231101200",
        now=T0,
    )
    with pytest.raises(InvalidTransition, match="already holds"):
        await access.assign_role(
            session,
            access_authorizer(),
            county,
            subject="li.si",
            role=Role.FIRST_SECRETARY,
            jurisdiction="230231101200",
            now=T0,
        )
    with pytest.raises(ValidationFailed, match="at most 100"):
        await access.assign_role(
            session,
            access_authorizer(),
            county,
            subject="x" * 101,
            role=Role.FIRST_SECRETARY,
            jurisdiction="230231101200",
            now=T0,
        )


def access_authorizer():  # type: ignore[no-untyped-def]
    from api.authz.enforcer import Authorizer

    return Authorizer()
