"""Evaluators act only on applications assigned to them; their report is the stage's evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.evaluation import Indicator
from api.domain.jurisdictions import Scope
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import CountyDesignation, RegionClass, SubjectKind
from api.domain.roles import Principal, Role
from api.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from api.policy_files import standards
from api.services import evaluations, exits, registry
from api.services.exits import Env
from tests import factories as f
from tests.scenarios import env, evidence, later, official


async def lanshan_village_at_evaluation(session: AsyncSession):  # type: ignore[no-untyped-def]
    codes = list(
        (
            await session.execute(
                select(models.VillageDesignationRow.village_code)
                .where(models.VillageDesignationRow.village_code.startswith("371302"))
                .order_by(models.VillageDesignationRow.village_code)
            )
        ).scalars()
    )
    units = await registry.incidences(
        session, codes, year=2016, scope=Scope.all(), policy=standards()
    )
    village = next(c for c in codes if (u := units[c]) and u.check and u.check.met)
    e = env(session)
    town = await official(session, Role.TOWNSHIP_GOVERNMENT, village[:9], "town-1")
    poster = await official(session, Role.TOWNSHIP_GOVERNMENT, village[:9], "town-2")
    proposed = await exits.propose(
        e,
        town,
        kind=SubjectKind.VILLAGE,
        unit_code=village[:9],
        year=2016,
        subjects=[village],
        evidence=evidence(EvidenceKind.INVESTIGATION_REPORT),
    )
    (application,) = proposed.applications
    await exits.post_notice(
        e,
        poster,
        application_id=application.id,
        stage="village_notice",
        evidence=evidence(EvidenceKind.NOTICE_POSTING),
    )
    e = later(e, days=7)
    await exits.perform(
        e, poster, application_id=application.id, stage="village_notice", decision=Decision.APPROVE
    )
    assert application.stage == "evaluation"
    return e, application


async def test_an_assigned_evaluator_reports_and_the_district_confirms(
    session: AsyncSession,
) -> None:
    e, application = await lanshan_village_at_evaluation(session)
    district = await official(session, Role.COUNTY_LEADING_GROUP, "371302")
    evaluator = await official(session, Role.THIRD_PARTY_EVALUATOR, "371302", "agency-a")
    other = await official(session, Role.THIRD_PARTY_EVALUATOR, "371302", "agency-b")
    report = evidence(EvidenceKind.EVALUATION_REPORT)[0]
    with pytest.raises(NotFound):  # nobody assigned it yet
        await evaluations.submit_evaluation(
            e, evaluator, application_id=application.id, report=report
        )
    town = await official(session, Role.TOWNSHIP_GOVERNMENT, application.unit_code[:9], "t3")
    with pytest.raises(NotPermitted):  # wrong role
        await evaluations.assign_evaluator(
            e, town, application_id=application.id, evaluator="agency-a"
        )
    far = await official(session, Role.THIRD_PARTY_EVALUATOR, "230231", "agency-far")
    with pytest.raises(ValidationFailed, match="covering"):  # its holding is elsewhere
        await evaluations.assign_evaluator(
            e, district, application_id=application.id, evaluator=far.subject
        )
    await evaluations.assign_evaluator(
        e, district, application_id=application.id, evaluator="agency-a"
    )
    with pytest.raises(NotFound):  # another evaluator, not assigned
        await evaluations.submit_evaluation(e, other, application_id=application.id, report=report)
    with pytest.raises(NotFound):  # evaluators see no register, so no stage to perform
        await exits.perform(
            e,
            evaluator,
            application_id=application.id,
            stage="evaluation",
            decision=Decision.APPROVE,
            evidence=[report],
        )
    with pytest.raises(ValidationFailed, match="assigned third-party evaluator"):
        await exits.perform(
            e,
            district,
            application_id=application.id,
            stage="evaluation",
            decision=Decision.APPROVE,
            evidence=[report],
        )
    with pytest.raises(ValidationFailed, match="needs evidence: evaluation_report"):
        await exits.perform(
            e,
            district,
            application_id=application.id,
            stage="evaluation",
            decision=Decision.APPROVE,
        )
    await evaluations.submit_evaluation(e, evaluator, application_id=application.id, report=report)
    confirmed = await exits.perform(
        later(e, hours=1),
        district,
        application_id=application.id,
        stage="evaluation",
        decision=Decision.APPROVE,
    )
    assert confirmed.stage == "announcement"
    assert confirmed.updated_at - e.now == timedelta(hours=1)


async def test_an_evaluation_is_submitted_only_at_a_stage_that_takes_one(
    session: AsyncSession,
) -> None:
    e, application = await lanshan_village_at_evaluation(session)
    district = await official(session, Role.COUNTY_LEADING_GROUP, "371302")
    evaluator = await official(session, Role.THIRD_PARTY_EVALUATOR, "371302", "agency-c")
    await evaluations.assign_evaluator(
        e, district, application_id=application.id, evaluator=evaluator.subject
    )
    report = evidence(EvidenceKind.EVALUATION_REPORT)[0]
    await exits.perform(
        e,
        district,
        application_id=application.id,
        stage="evaluation",
        decision=Decision.RETURN,
        return_to="proposal",
        reason="补充材料",
    )
    with pytest.raises(InvalidTransition, match="takes no evaluation report"):
        await evaluations.submit_evaluation(
            e, evaluator, application_id=application.id, report=report
        )


# ---------------------------------------------------------------- 三率一度 samples

COUNTY = "239811"  # fictional, inside Heilongjiang
VILLAGES = ("239811001001", "239811001002")


async def assigned(
    session: AsyncSession, agency: str, region: RegionClass = RegionClass.GENERAL
) -> tuple[Env, models.ExitApplication, Principal]:
    """A county at review (county_at_review) with an evaluator the city assigned to it."""
    e, application = await county_at_review(session, region)
    municipal = await official(session, Role.MUNICIPAL_LEADING_GROUP, "2398")
    evaluator = await official(session, Role.THIRD_PARTY_EVALUATOR, "23", agency)
    await evaluations.assign_evaluator(
        e, municipal, application_id=application.id, evaluator=evaluator.subject
    )
    return e, application, evaluator


async def county_at_review(
    session: AsyncSession, region: RegionClass = RegionClass.GENERAL
) -> tuple[Env, models.ExitApplication]:
    """A fictional county at 1% incidence, proposed: waiting at 市级初审 for its evaluation."""
    await f.units(session, *VILLAGES)
    session.add(
        models.CountyDesignationRow(
            county_code=COUNTY,
            designation=CountyDesignation.NATIONAL,
            region_class=region,
            designated_year=2012,
            exited_on=None,
        )
    )
    household = await f.household(session, VILLAGES[0])
    await f.member(session, household)
    await f.indicators(session, VILLAGES[0], 2016, rural=100)
    e = env(session)
    county = await official(session, Role.COUNTY_LEADING_GROUP, COUNTY)
    proposed = await exits.propose(
        e,
        county,
        kind=SubjectKind.COUNTY,
        unit_code=COUNTY,
        year=2016,
        subjects=[COUNTY],
        evidence=evidence(EvidenceKind.APPLICATION_DOCUMENT),
    )
    (application,) = proposed.applications
    assert application.stage == "municipal_review"
    return e, application


def surveyed(n: int, **findings: bool) -> list[evaluations.SampledHouseholdInput]:
    values = {"registered": True, "exited": True, "found_poor": False, "recognises": True}
    values |= findings
    return [
        evaluations.SampledHouseholdInput(survey_no=f"Q{n}-{k:03d}", people=1, **values)
        for k in range(n)
    ]


async def record(
    e: Env, who: Principal, application: models.ExitApplication, village: str, **kw: Any
) -> models.EvaluationAssignment:
    return await evaluations.record_village(
        e,
        who,
        application_id=application.id,
        village_code=village,
        rural_population=kw.get("rural", 1000),
        households=kw.get("households") or surveyed(10),
    )


async def test_the_assigned_evaluator_records_samples_and_the_indicators_follow(
    session: AsyncSession,
) -> None:
    e, application = await county_at_review(session)
    municipal = await official(session, Role.MUNICIPAL_LEADING_GROUP, "2398")
    evaluator = await official(session, Role.THIRD_PARTY_EVALUATOR, "23", "agency-s")
    other = await official(session, Role.THIRD_PARTY_EVALUATOR, "23", "agency-t")
    county = await official(session, Role.COUNTY_LEADING_GROUP, COUNTY)
    lanshan = await official(session, Role.COUNTY_LEADING_GROUP, "371302")
    with pytest.raises(NotFound):  # not assigned yet: not there, for an evaluator
        await record(e, evaluator, application, VILLAGES[0])
    await evaluations.assign_evaluator(
        e, municipal, application_id=application.id, evaluator=evaluator.subject
    )
    with pytest.raises(NotPermitted):  # sees the application, may not record its samples
        await record(e, county, application, VILLAGES[0])
    with pytest.raises(NotFound):  # out of its jurisdiction
        await record(e, lanshan, application, VILLAGES[0])
    with pytest.raises(NotFound):  # an evaluator, but not the one assigned
        await record(e, other, application, VILLAGES[0])

    # 97 exited people confirmed, 2 remaining poor, 1 omission among 1000 surveyed, and
    # 90 of the 100 households recognise the exit: exactly 90% passes "at least 90%".
    households = [
        *surveyed(97),
        *surveyed(2, exited=False),
        *surveyed(1, registered=False, exited=False, found_poor=True, recognises=False),
    ]
    households = [
        replace(h, survey_no=f"H{k:03d}", recognises=h.recognises and k >= 9)
        for k, h in enumerate(households)
    ]
    await record(e, evaluator, application, VILLAGES[0], households=households)
    (found,) = (
        await evaluations.county_evaluations(
            session, [(application.id, COUNTY)], bars=standards().evaluation_bars
        )
    )[(application.id, COUNTY)]
    counts = {r.indicator: (r.numerator, r.denominator, r.met) for r in found.result.indicators}
    assert counts == {
        Indicator.COMPREHENSIVE_INCIDENCE: (3, 1000, True),
        Indicator.WRONGFUL_EXIT_RATE: (0, 97, True),
        Indicator.OMISSION_RATE: (1, 901, True),
        Indicator.PUBLIC_RECOGNITION: (90, 100, True),
    }
    assert found.result.passed
    trail = await session.scalars(
        select(models.AuditEvent.action).where(
            models.AuditEvent.object_kind == "application",
            models.AuditEvent.object_id == str(application.id),
        )
    )
    assert "record_evaluation_village" in list(trail)


async def test_recording_a_village_again_replaces_it_and_removal_withdraws_it(
    session: AsyncSession,
) -> None:
    e, application, evaluator = await assigned(session, "agency-r")
    bars = standards().evaluation_bars
    await record(e, evaluator, application, VILLAGES[0], households=surveyed(10))
    await record(e, evaluator, application, VILLAGES[1], households=surveyed(4))
    assignment = await record(e, evaluator, application, VILLAGES[0], households=surveyed(3))
    found = await evaluations.assignment_evaluation(session, assignment.id, bars=bars)
    assert [(v.village.village_code, len(v.households)) for v in found.villages] == [
        (VILLAGES[0], 3),
        (VILLAGES[1], 4),
    ]
    await evaluations.remove_village(
        e, evaluator, application_id=application.id, village_code=VILLAGES[1]
    )
    found = await evaluations.assignment_evaluation(session, assignment.id, bars=bars)
    assert [v.village.village_code for v in found.villages] == [VILLAGES[0]]
    with pytest.raises(NotFound):
        await evaluations.remove_village(
            e, evaluator, application_id=application.id, village_code=VILLAGES[1]
        )


@pytest.mark.parametrize(
    ("kw", "path"),
    [
        ({"village": "239812001001"}, "villageCode"),  # another county's village
        ({"village": "239811001"}, "villageCode"),  # a township, not a village
        ({"village": "239811001099"}, "villageCode"),  # not in the division table
        ({"rural": 5}, "ruralPopulation"),  # fewer people than the households recorded
        ({"rural": 0}, "ruralPopulation"),
        ({"households": surveyed(1, registered=False)}, "households.0.exited"),
        ({"households": surveyed(2)[:1] * 2}, "households.1.surveyNo"),
    ],
)
async def test_a_sample_that_cannot_be_is_refused_with_its_field(
    session: AsyncSession, kw: dict[str, Any], path: str
) -> None:
    e, application, evaluator = await assigned(session, "agency-v")
    kw = dict(kw)  # the parameters are shared by both backends' runs
    village = kw.pop("village", VILLAGES[0])
    with pytest.raises(ValidationFailed) as raised:
        await record(e, evaluator, application, village, **kw)
    assert ".".join(raised.value.path) == path


async def test_samples_are_final_once_the_report_is_in_and_only_a_county_takes_them(
    session: AsyncSession,
) -> None:
    e, application, evaluator = await assigned(session, "agency-w")
    await record(e, evaluator, application, VILLAGES[0])
    report = evidence(EvidenceKind.EVALUATION_REPORT)[0]
    await evaluations.submit_evaluation(
        later(e, hours=1), evaluator, application_id=application.id, report=report
    )
    with pytest.raises(InvalidTransition, match="samples behind it are final"):
        await record(later(e, hours=2), evaluator, application, VILLAGES[1])

    village_e, village_application = await lanshan_village_at_evaluation(session)
    district = await official(session, Role.COUNTY_LEADING_GROUP, "371302")
    lanshan = await official(session, Role.THIRD_PARTY_EVALUATOR, "371302", "agency-x")
    await evaluations.assign_evaluator(
        village_e, district, application_id=village_application.id, evaluator=lanshan.subject
    )
    with pytest.raises(InvalidTransition, match="county"):
        await record(village_e, lanshan, village_application, village_application.subject_key)


async def test_a_western_county_is_judged_against_3_percent(session: AsyncSession) -> None:
    e, application, evaluator = await assigned(session, "agency-y", RegionClass.WESTERN)
    remaining = [replace(h, people=5) for h in surveyed(5, exited=False)]  # 25 of 1000
    assignment = await record(
        e, evaluator, application, VILLAGES[0], households=[*remaining, *surveyed(50)]
    )
    found = await evaluations.assignment_evaluation(
        session, assignment.id, bars=standards().evaluation_bars
    )
    incidence = found.result.indicators[0]
    assert found.region is RegionClass.WESTERN
    assert (incidence.numerator, incidence.denominator) == (25, 1000)
    assert incidence.bar.rate == Decimal("0.03")
    assert incidence.met  # 2.5%: above the general 2%, below the western 3%
