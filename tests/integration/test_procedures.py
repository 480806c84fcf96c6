"""Both seeds' procedures, every subject kind, driven to the end through the services;
then every way a step is refused. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.jurisdictions import Scope
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import CountyDesignation, ExitAttribute, RegionClass, SubjectKind
from api.domain.roles import Role
from api.errors import (
    InvalidTransition,
    NotFound,
    NoticePeriodNotElapsed,
    NotPermitted,
    StandardNotMet,
    ValidationFailed,
)
from api.policy_files import standards
from api.procedure_files import book
from api.services import exits, registry
from tests import factories as f
from tests.scenarios import T0, Cast, env, evidence, household_village, later, official, walk
from tests.statistics_check import assert_kept_equal_a_rebuild

HLJ_VILLAGE = "230231101200"  # 合心村: exactly 2.00%, every facility present
YEAR = 2016


async def eligible_households(session: AsyncSession, village: str, n: int = 2) -> list[str]:
    rows = (
        (
            await session.execute(
                select(models.Household)
                .where(
                    models.Household.village_code == village,
                    models.Household.exit_attribute == ExitAttribute.NOT_EXITED,
                )
                .order_by(models.Household.id)
            )
        )
        .scalars()
        .all()
    )
    checks = await registry.check_households(session, rows, year=YEAR, policy=standards())
    chosen = [h.registry_no for h in rows if checks[h.id].met][:n]
    assert len(chosen) == n, f"the demo has too few eligible households in {village}"
    return chosen


@pytest.fixture
async def village(session: AsyncSession) -> str:
    return await household_village(session)


async def failing_household(session: AsyncSession, village: str) -> str:
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
    checks = await registry.check_households(session, rows, year=YEAR, policy=standards())
    return next(h.registry_no for h in rows if not checks[h.id].met)


async def ready_village(session: AsyncSession, under: str) -> str:
    codes = list(
        (
            await session.execute(
                select(models.VillageDesignationRow.village_code)
                .where(models.VillageDesignationRow.village_code.startswith(under))
                .order_by(models.VillageDesignationRow.village_code)
            )
        ).scalars()
    )
    units = await registry.incidences(
        session, codes, year=YEAR, scope=Scope.all(), policy=standards()
    )
    return next(c for c in codes if (u := units[c]) and u.check and u.check.met)


async def propose_households(session: AsyncSession, village: str, cast: Cast, n: int = 2):  # type: ignore[no-untyped-def]
    e = env(session)
    keys = await eligible_households(session, village, n)
    proposer = await cast.pick(Role.VILLAGE_COMMITTEES, village)
    proposed = await exits.propose(
        e,
        proposer,
        kind=SubjectKind.HOUSEHOLD,
        unit_code=village,
        year=YEAR,
        subjects=keys,
        evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
    )
    return e, proposed


# ---------------------------------------------------------------- walks to the end


@pytest.mark.parametrize("village_under", ["230231101", "371302101"])
async def test_a_household_list_walks_to_deregistration(
    session: AsyncSession, village_under: str
) -> None:
    village = await household_village(session, village_under)
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    flow = book().for_unit(village).for_kind(SubjectKind.HOUSEHOLD)
    for application in proposed.applications:
        e = await walk(e, cast, application, flow)
        assert application.status is exits.Status.EXITED
        household = await session.get(models.Household, application.household_id)
        assert household is not None
        assert household.exit_attribute is ExitAttribute.EXITED_SUPPORTED
        assert household.exited_year == YEAR
    ledger = await session.scalar(
        select(func.count())
        .select_from(models.AuditEvent)
        .where(
            models.AuditEvent.object_kind == "application",
            models.AuditEvent.object_id.in_([str(a.id) for a in proposed.applications]),
        )
    )
    stages = len(flow.stages) + sum(1 for s in flow.stages if s.is_notice)
    # walk samples each application alone at a spot-check stage: its finding is one more
    stages += sum(1 for s in flow.stages if s.needs_spot_check)
    assert ledger == 2 * stages


async def test_heilongjiang_village_walks_to_its_exit_mark(session: AsyncSession) -> None:
    cast = Cast(session)
    e = env(session)
    county = await cast.pick(Role.COUNTY_LEADING_GROUP, "230231")
    proposed = await exits.propose(
        e,
        county,
        kind=SubjectKind.VILLAGE,
        unit_code="230231",
        year=YEAR,
        subjects=[HLJ_VILLAGE],
        evidence=evidence(EvidenceKind.INVESTIGATION_REPORT),
    )
    (application,) = proposed.applications
    await walk(e, cast, application, book().for_unit(HLJ_VILLAGE).for_kind(SubjectKind.VILLAGE))
    designation = await session.get(models.VillageDesignationRow, HLJ_VILLAGE)
    assert designation is not None
    assert designation.exited_on is not None


async def test_lanshan_village_walks_to_its_exit_mark(session: AsyncSession) -> None:
    village = await ready_village(session, "371302")
    cast = Cast(session)
    e = env(session)
    town = await cast.pick(Role.TOWNSHIP_GOVERNMENT, village[:9])
    proposed = await exits.propose(
        e,
        town,
        kind=SubjectKind.VILLAGE,
        unit_code=village[:9],
        year=YEAR,
        subjects=[village],
        evidence=evidence(EvidenceKind.INVESTIGATION_REPORT),
    )
    (application,) = proposed.applications
    await walk(e, cast, application, book().for_unit(village).for_kind(SubjectKind.VILLAGE))
    assert application.status is exits.Status.EXITED


async def county_ready(session: AsyncSession, code: str, designation: CountyDesignation) -> None:
    """A fictional Heilongjiang county at 1% incidence (the demo's real ones are far above)."""
    village = f"{code}001001"
    await f.units(session, village)
    session.add(
        models.CountyDesignationRow(
            county_code=code,
            designation=designation,
            region_class=RegionClass.GENERAL,
            designated_year=2012,
            exited_on=None,
        )
    )
    household = await f.household(session, village)
    await f.member(session, household)
    await f.indicators(session, village, YEAR, rural=100)


@pytest.mark.parametrize(
    ("designation", "evaluator"),
    [
        (CountyDesignation.NATIONAL, Role.STATE_COUNCIL_LEADING_GROUP),
        (CountyDesignation.PROVINCIAL, Role.PROVINCIAL_LEADING_GROUP),
    ],
)
async def test_heilongjiang_county_walks_to_approval_through_its_branch(
    session: AsyncSession, designation: CountyDesignation, evaluator: Role
) -> None:
    county = "230299"
    await county_ready(session, county, designation)
    cast = Cast(session)
    e = env(session)
    applicant = await cast.pick(Role.COUNTY_LEADING_GROUP, county)
    proposed = await exits.propose(
        e,
        applicant,
        kind=SubjectKind.COUNTY,
        unit_code=county,
        year=YEAR,
        subjects=[county],
        evidence=evidence(EvidenceKind.APPLICATION_DOCUMENT),
    )
    (application,) = proposed.applications
    assert application.designation is designation
    await walk(e, cast, application, book().for_unit(county).for_kind(SubjectKind.COUNTY))
    inspected = await session.scalar(
        select(models.StageRecord.actor_role).where(
            models.StageRecord.application_id == application.id,
            models.StageRecord.stage == "evaluation_inspection",
            models.StageRecord.action == "perform",
        )
    )
    assert inspected == evaluator
    row = await session.get(models.CountyDesignationRow, county)
    assert row is not None
    assert row.exited_on is not None


# ---------------------------------------------------------------- refusals


async def test_wrong_role_wrong_unit_and_unseen_subjects(
    session: AsyncSession, village: str
) -> None:
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    application = proposed.applications[0]
    verification = evidence(EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)
    township = await official(session, Role.TOWNSHIP_GOVERNMENT, village[:9])
    with pytest.raises(NotPermitted, match="township_government"):
        await exits.perform(
            e,
            township,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=verification,
        )
    sibling = HLJ_VILLAGE if village != HLJ_VILLAGE else "230231101201"
    neighbour = await official(session, Role.RESIDENT_WORK_TEAM, sibling)
    with pytest.raises(NotFound):
        await exits.perform(
            e,
            neighbour,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=verification,
        )
    lanshan = await official(session, Role.COUNTY_LEADING_GROUP, "371302")
    with pytest.raises(NotFound):
        await exits.perform(
            e,
            lanshan,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=verification,
        )
    team = await official(session, Role.RESIDENT_WORK_TEAM, village)
    done = await exits.perform(
        e,
        team,
        application_id=application.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=verification,
    )
    assert done.stage == "village_notice"


async def test_a_token_whose_holding_is_not_recorded_acts_on_nothing(
    session: AsyncSession, village: str
) -> None:
    from api.domain.roles import Principal

    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    unrecorded = Principal("forged", Role.RESIDENT_WORK_TEAM, village)
    with pytest.raises(NotPermitted):
        await exits.perform(
            e,
            unrecorded,
            application_id=proposed.applications[0].id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=evidence(
                EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT
            ),
        )


async def test_out_of_order_and_the_same_person_twice(session: AsyncSession, village: str) -> None:
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    application = proposed.applications[0]
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    with pytest.raises(InvalidTransition, match="waits at verification"):
        await exits.perform(
            e,
            county,
            application_id=application.id,
            stage="announcement",
            decision=Decision.APPROVE,
            evidence=evidence(EvidenceKind.NOTICE_POSTING),
        )
    proposer = await cast.pick(Role.VILLAGE_COMMITTEES, village)
    with pytest.raises(NotPermitted, match="separation of duties"):
        await exits.perform(
            e,
            proposer,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=evidence(
                EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT
            ),
        )


async def at_notice(session: AsyncSession, cast: Cast, village: str):  # type: ignore[no-untyped-def]
    e, proposed = await propose_households(session, village, cast)
    application = proposed.applications[0]
    team = await cast.pick(Role.RESIDENT_WORK_TEAM, village)
    await exits.perform(
        e,
        team,
        application_id=application.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=evidence(EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT),
    )
    poster = await cast.pick(Role.VILLAGE_COMMITTEES, village)
    await exits.post_notice(
        e,
        poster,
        application_id=application.id,
        stage="village_notice",
        evidence=evidence(EvidenceKind.NOTICE_POSTING),
    )
    return e, application, poster


async def test_the_notice_must_run_seven_days_and_the_error_says_until_when(
    session: AsyncSession, village: str
) -> None:
    cast = Cast(session)
    e, application, poster = await at_notice(session, cast, village)
    with pytest.raises(NoticePeriodNotElapsed) as caught:
        await exits.perform(
            later(e, days=6, hours=23),
            poster,
            application_id=application.id,
            stage="village_notice",
            decision=Decision.APPROVE,
        )
    assert caught.value.ends_at == T0 + timedelta(days=7)
    passed = await exits.perform(
        later(e, days=7),
        poster,
        application_id=application.id,
        stage="village_notice",
        decision=Decision.APPROVE,
    )
    assert passed.stage == "announcement"


async def test_an_objection_returns_to_verification_and_resolution_lets_it_continue(
    session: AsyncSession, village: str
) -> None:
    cast = Cast(session)
    e, application, poster = await at_notice(session, cast, village)
    objection = await exits.raise_objection(
        later(e, days=2),
        None,
        application_id=application.id,
        content="该户家中有人长期外出务工收入未如实申报",
    )
    assert objection.raised_by is None
    assert application.stage == "verification"
    assert application.status is exits.Status.OBJECTED
    team = await cast.pick(Role.RESIDENT_WORK_TEAM, village)
    with pytest.raises(InvalidTransition, match="objection is pending"):
        await exits.perform(
            e,
            team,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=evidence(
                EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT
            ),
        )
    township = await official(session, Role.TOWNSHIP_GOVERNMENT, village[:9])
    with pytest.raises(NotPermitted):
        await exits.resolve_objection(
            later(e, days=3),
            township,
            objection_id=objection.id,
            upheld=False,
            resolution="核实无误",
        )
    resolved = await exits.resolve_objection(
        later(e, days=3),
        team,
        objection_id=objection.id,
        upheld=False,
        resolution="经村民代表再核实，收入属实",
    )
    assert resolved.outcome == "dismissed"
    assert application.status is exits.Status.IN_PROGRESS
    other = await cast.pick(Role.VILLAGE_COMMITTEES, village, not_=poster.subject)
    again = await exits.perform(
        later(e, days=4),
        other,
        application_id=application.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=evidence(EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT),
    )
    assert again.stage == "village_notice"
    assert again.notice_ends_at is None  # the notice runs again from the start
    with pytest.raises(InvalidTransition, match="resolved already"):
        await exits.resolve_objection(
            e, team, objection_id=objection.id, upheld=True, resolution="x"
        )


async def test_the_public_objects_only_to_a_notice_that_is_posted_now(
    session: AsyncSession, village: str
) -> None:
    cast = Cast(session)
    e, application, _ = await at_notice(session, cast, village)
    with pytest.raises(NotFound):
        await exits.raise_objection(
            later(e, days=8), None, application_id=application.id, content="有异议"
        )
    with pytest.raises(ValidationFailed, match="1-2000 characters"):
        await exits.raise_objection(e, None, application_id=application.id, content="  ")


async def test_a_household_below_its_standard_cannot_be_proposed(
    session: AsyncSession, village: str
) -> None:
    key = await failing_household(session, village)
    proposer = await official(session, Role.VILLAGE_COMMITTEES, village)
    with pytest.raises(StandardNotMet) as caught:
        await exits.propose(
            env(session),
            proposer,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=YEAR,
            subjects=[key],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    assert all(code.startswith(f"{key}: ") for code, _ in caught.value.criteria)
    lists = (
        select(func.count())
        .select_from(models.ExitList)
        .where(models.ExitList.unit_code == village)
    )
    assert await session.scalar(lists) == 0


async def test_a_village_above_the_bar_names_incidence(session: AsyncSession) -> None:
    codes = list(
        (
            await session.execute(
                select(models.VillageDesignationRow.village_code).where(
                    models.VillageDesignationRow.village_code.startswith("230231")
                )
            )
        ).scalars()
    )
    units = await registry.incidences(
        session, codes, year=YEAR, scope=Scope.all(), policy=standards()
    )
    above = next(c for c in codes if (u := units[c]) and u.check and not u.check.met)
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    with pytest.raises(StandardNotMet) as caught:
        await exits.propose(
            env(session),
            county,
            kind=SubjectKind.VILLAGE,
            unit_code="230231",
            year=YEAR,
            subjects=[above],
            evidence=evidence(EvidenceKind.INVESTIGATION_REPORT),
        )
    assert f"{above}: incidence" in [code for code, _ in caught.value.criteria]


async def test_rejection_ends_and_return_goes_back(session: AsyncSession, village: str) -> None:
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    first, second = proposed.applications
    team = await cast.pick(Role.RESIDENT_WORK_TEAM, village)
    rejected = await exits.perform(
        e,
        team,
        application_id=first.id,
        stage="verification",
        decision=Decision.REJECT,
        reason="户主不认可退出",
    )
    assert rejected.status is exits.Status.REJECTED
    returned = await exits.perform(
        e,
        team,
        application_id=second.id,
        stage="verification",
        decision=Decision.RETURN,
        return_to="appraisal",
        reason="需重新评议",
    )
    assert returned.stage == "appraisal"
    household = await session.get(models.Household, first.household_id)
    assert household is not None
    assert household.exit_attribute is ExitAttribute.NOT_EXITED


async def test_an_exited_household_found_below_its_line_returns_to_poverty(
    session: AsyncSession,
) -> None:
    exited = (
        (
            await session.execute(
                select(models.Household).where(
                    models.Household.village_code.startswith("230231"),
                    models.Household.exit_attribute == ExitAttribute.EXITED_SUPPORTED,
                )
            )
        )
        .scalars()
        .all()
    )
    checks = await registry.check_households(session, exited, year=YEAR, policy=standards())
    below = next(h for h in exited if not checks[h.id].met)
    fine = next(h for h in exited if checks[h.id].met)
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    with pytest.raises(InvalidTransition, match="meets its standard"):
        await exits.return_to_poverty(env(session), county, registry_no=fine.registry_no, year=YEAR)
    village = await official(session, Role.VILLAGE_COMMITTEES, below.village_code)
    with pytest.raises(NotPermitted):
        await exits.return_to_poverty(
            env(session), village, registry_no=below.registry_no, year=YEAR
        )
    back = await exits.return_to_poverty(
        env(session), county, registry_no=below.registry_no, year=YEAR
    )
    assert back.exit_attribute is ExitAttribute.RETURNED_TO_POVERTY
    assert back.returned_year == YEAR
    await assert_kept_equal_a_rebuild(session)


async def test_the_ledger_refuses_updates_and_deletes(session: AsyncSession, village: str) -> None:
    cast = Cast(session)
    await propose_households(session, village, cast)
    for statement in (
        update(models.AuditEvent).values(action="tampered"),
        models.AuditEvent.__table__.delete(),
    ):
        with pytest.raises(DBAPIError, match="insert-only"):
            async with session.begin_nested():
                await session.execute(statement)


async def test_an_acknowledgment_recorded_ahead_counts_until_the_application_is_sent_back(
    session: AsyncSession, village: str
) -> None:
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    application = proposed.applications[0]
    team = await cast.pick(Role.RESIDENT_WORK_TEAM, village)
    township = await official(session, Role.TOWNSHIP_GOVERNMENT, village[:9])
    acknowledgment = evidence(EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)[0]
    with pytest.raises(NotPermitted):
        await exits.record_acknowledgment(
            e, township, application_id=application.id, evidence=acknowledgment
        )
    with pytest.raises(ValidationFailed, match="household_acknowledgment evidence"):
        await exits.record_acknowledgment(
            e,
            team,
            application_id=application.id,
            evidence=evidence(EvidenceKind.VERIFICATION_RECORD)[0],
        )
    await exits.record_acknowledgment(
        e, team, application_id=application.id, evidence=acknowledgment
    )
    e = later(e, hours=1)
    returned = await exits.perform(
        e,
        team,
        application_id=application.id,
        stage="verification",
        decision=Decision.RETURN,
        return_to="appraisal",
        reason="重新评议",
    )
    assert returned.stage == "appraisal"
    proposer = await cast.pick(Role.VILLAGE_COMMITTEES, village, not_=team.subject)
    e = later(e, hours=1)
    await exits.perform(
        e,
        proposer,
        application_id=application.id,
        stage="appraisal",
        decision=Decision.APPROVE,
        evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
    )
    e = later(e, hours=1)
    with pytest.raises(ValidationFailed, match="household_acknowledgment"):  # an old round's
        await exits.perform(
            e,
            team,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=evidence(EvidenceKind.VERIFICATION_RECORD),
        )
    await exits.record_acknowledgment(
        e, team, application_id=application.id, evidence=acknowledgment
    )
    e = later(e, hours=1)
    done = await exits.perform(
        e,
        team,
        application_id=application.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=evidence(EvidenceKind.VERIFICATION_RECORD),
    )
    assert done.stage == "village_notice"
