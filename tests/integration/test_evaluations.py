"""Evaluators act only on applications assigned to them; their report is the stage's evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.jurisdictions import Scope
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import SubjectKind
from api.domain.roles import Role
from api.errors import NotFound, NotPermitted, ValidationFailed
from api.policy_files import standards
from api.services import evaluations, exits, registry
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
    from api.errors import InvalidTransition

    with pytest.raises(InvalidTransition, match="takes no evaluation report"):
        await evaluations.submit_evaluation(
            e, evaluator, application_id=application.id, report=report
        )
