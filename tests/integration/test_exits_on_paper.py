"""Exits on paper are refused: the 十不脱 hard blocks stop a proposal, naming each block of
each household, and an acknowledgment that was never recorded stops its stage. Either
way nothing is written. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.idnumber import check_character
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import (
    Health,
    HousingGrade,
    IncomeKind,
    Relation,
    SchoolingStatus,
    SubjectKind,
)
from api.domain.roles import Principal, Role
from api.errors import StandardNotMet, ValidationFailed
from api.policy_files import standards
from api.services import exits, registry
from tests import factories as f
from tests.scenarios import env, evidence, later, official

VILLAGE = "230298001001"  # fictional, inside Heilongjiang: its procedure governs it
YEAR = 2016
_serial = iter(range(1, 1000))


def id_born(born: date) -> str:
    body = f"{VILLAGE[:6]}{born:%Y%m%d}{next(_serial):03d}"
    return body + check_character(body)


async def household(
    session: AsyncSession,
    *,
    grade: HousingGrade = HousingGrade.B,
    incomes: tuple[tuple[IncomeKind, str], ...] = ((IncomeKind.WAGE, "20000"),),
    children: tuple[tuple[date, SchoolingStatus], ...] = (),
    ill: bool | str | None = "healthy",
) -> models.Household:
    """A household of a head (and children) that meets its standard but for what is given.

    ``ill``: "healthy", or the recorded treatment of the head's serious illness.
    """
    row = await f.household(session, VILLAGE)
    head: dict[str, Any] = {"relation": Relation.HEAD}
    if ill != "healthy":
        head |= {"health": Health.SERIOUS_ILLNESS, "serious_illness_treated": ill}
    await f.member(session, row, **head)
    for born, schooling in children:
        await f.member(
            session,
            row,
            relation=Relation.CHILD,
            id_number=id_born(born),
            schooling=schooling,
            pension_insurance=False,
        )
    for kind, amount in incomes:
        await f.income(session, row, YEAR, kind, amount)
    await f.assessment(session, row, YEAR, housing_grade=grade)
    return row


@pytest.fixture
async def village(session: AsyncSession) -> str:
    await f.units(session, VILLAGE)
    await f.indicators(session, VILLAGE, YEAR, rural=1000)
    await official(session, Role.VILLAGE_COMMITTEES, VILLAGE, PROPOSER.subject)
    await official(session, Role.RESIDENT_WORK_TEAM, VILLAGE, TEAM.subject)
    return VILLAGE


async def written(session: AsyncSession) -> tuple[int, ...]:
    """Rows a proposal or a stage would write, counted."""
    tables = (
        models.ExitList,
        models.ExitApplication,
        models.StageRecord,
        models.Evidence,
        models.AuditEvent,
        models.OutboxEvent,
    )
    return tuple(
        [int(await session.scalar(select(func.count()).select_from(t)) or 0) for t in tables]
    )


PROPOSER = Principal("committees@paper", Role.VILLAGE_COMMITTEES, VILLAGE)
TEAM = Principal("team@paper", Role.RESIDENT_WORK_TEAM, VILLAGE)


async def propose(session: AsyncSession, keys: list[str]) -> exits.ProposedList:
    return await exits.propose(
        env(session),
        PROPOSER,
        kind=SubjectKind.HOUSEHOLD,
        unit_code=VILLAGE,
        year=YEAR,
        subjects=keys,
        evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
    )


# 2016-12-31 is the day ages are reckoned on (policies/standards.yaml).
AGED_5 = date(2011, 1, 1)
AGED_6 = date(2010, 12, 31)
AGED_15 = date(2001, 1, 1)
AGED_16 = date(2000, 12, 31)


async def test_a_list_with_blocked_households_is_refused_naming_each_block_of_each(
    session: AsyncSession, village: str
) -> None:
    sound = await household(session)
    housing = await household(session, grade=HousingGrade.C)
    dropout = await household(session, children=((AGED_15, SchoolingStatus.DROPPED_OUT),))
    young = await household(session, children=((AGED_6, SchoolingStatus.NOT_APPLICABLE),))
    untreated = await household(session, ill=False)
    unrecorded = await household(session, ill=None)
    transfers = await household(session, incomes=((IncomeKind.TRANSFER, "20000"),))
    everything = await household(
        session,
        grade=HousingGrade.D,
        incomes=((IncomeKind.TRANSFER, "20000"),),
        children=((AGED_6, SchoolingStatus.DROPPED_OUT),),
        ill=False,
    )
    keys = [
        h.registry_no
        for h in (sound, housing, dropout, young, untreated, unrecorded, transfers, everything)
    ]
    before = await written(session)
    with pytest.raises(StandardNotMet) as caught:
        await propose(session, keys)
    failures = [code for code, _ in caught.value.criteria]
    # The assessment's ticked flags are all "assured": only the register facts block.
    assert failures == [
        f"{housing.registry_no}: safe_housing",  # the standard's own criterion, too
        f"{housing.registry_no}: block_unsafe_housing",
        f"{dropout.registry_no}: block_school_dropout",
        f"{young.registry_no}: block_school_dropout",
        f"{untreated.registry_no}: block_untreated_serious_illness",
        f"{unrecorded.registry_no}: block_untreated_serious_illness",
        f"{transfers.registry_no}: block_transfer_income_only",
        f"{everything.registry_no}: safe_housing",
        f"{everything.registry_no}: block_unsafe_housing",
        f"{everything.registry_no}: block_school_dropout",
        f"{everything.registry_no}: block_untreated_serious_illness",
        f"{everything.registry_no}: block_transfer_income_only",
    ]
    details = dict(caught.value.criteria)
    assert details[f"{dropout.registry_no}: block_school_dropout"] == (
        "子女 aged 15 on 2016-12-31 is 失学辍学 (dropped_out)"
    )
    assert details[f"{transfers.registry_no}: block_transfer_income_only"] == (
        "the only income in 2016 is 转移性收入"
    )
    assert await written(session) == before  # nothing of the list was written


async def test_households_just_outside_each_block_are_proposed(
    session: AsyncSession, village: str
) -> None:
    boundary = [
        await household(session, grade=HousingGrade.B),
        await household(session, children=((AGED_16, SchoolingStatus.NOT_APPLICABLE),)),
        await household(session, children=((AGED_5, SchoolingStatus.NOT_APPLICABLE),)),
        await household(
            session,
            children=(
                (AGED_6, SchoolingStatus.IN_SCHOOL),
                (AGED_15, SchoolingStatus.HOME_TAUGHT),  # 送教上门 counts as schooling
            ),
        ),
        await household(session, ill=True),
        await household(
            session, incomes=((IncomeKind.TRANSFER, "19000"), (IncomeKind.WAGE, "1000"))
        ),
    ]
    proposed = await propose(session, [h.registry_no for h in boundary])
    assert len(proposed.applications) == len(boundary)


async def test_a_block_also_shows_in_the_households_standard_check(
    session: AsyncSession, village: str
) -> None:
    blocked = await household(session, ill=None)
    checks = await registry.check_households(session, [blocked], year=YEAR, policy=standards())
    assert [s.criterion for s in checks[blocked.id].shortfalls] == [
        "block_untreated_serious_illness"
    ]
    assert checks[blocked.id].shortfalls[0].detail == "户主 患有大病: no treatment recorded"


async def test_approving_verification_without_the_households_acknowledgment_changes_nothing(
    session: AsyncSession, village: str
) -> None:
    """被脱贫: the household's acknowledgment is evidence the stage cannot pass without."""
    proposed = await propose(session, [(await household(session)).registry_no])
    (application,) = proposed.applications
    team = TEAM
    e = later(env(session), hours=1)
    state = (application.stage, application.status, application.row_version)
    before = await written(session)
    with pytest.raises(ValidationFailed, match="needs evidence: household_acknowledgment"):
        await exits.perform(
            e,
            team,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=evidence(EvidenceKind.VERIFICATION_RECORD),
        )
    await session.refresh(application)
    assert (application.stage, application.status, application.row_version) == state
    assert state[0] == "verification"
    assert await written(session) == before
    await exits.record_acknowledgment(
        e,
        team,
        application_id=application.id,
        evidence=evidence(EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)[0],
    )
    done = await exits.perform(
        later(e, hours=1),
        team,
        application_id=application.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=evidence(EvidenceKind.VERIFICATION_RECORD),
    )
    assert done.stage == "village_notice"
