"""Spot checks through the services, on both databases: the frame is the jurisdiction's,
the record re-draws its sample, a failed finding sends the subject back (an exit revoked,
with its history, ledger and change event), and Lanshan's 镇抽查 needs a covering check."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain import spot_checks as domain
from api.domain.engine import Status
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import ExitAttribute, SubjectKind
from api.domain.roles import Role
from api.domain.spot_checks import Basis, Result
from api.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from api.procedure_files import book
from api.services import exits, spot_checks
from tests.integration.test_procedures import YEAR, propose_households
from tests.scenarios import Cast, evidence, failed, household_village, later, passed, walk
from tests.statistics_check import assert_kept_equal_a_rebuild

HLJ_TOWN = "230231101"
LS_TOWN = "371302101"


async def exited_pair(session: AsyncSession, town: str) -> tuple[Any, Cast, list[Any]]:
    """Two households of a village under ``town`` walked to their exit."""
    village = await household_village(session, town)
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    flow = book().for_unit(village).for_kind(SubjectKind.HOUSEHOLD)
    for application in proposed.applications:
        e = await walk(e, cast, application, flow)
    return e, cast, list(proposed.applications)


async def draw(e: Any, who: Any, unit: str, *, basis: Basis = Basis.EXITED, **size: Any) -> Any:
    """A spot check of households of ``unit`` for YEAR (``count=``, ``share=``, ``seed=``)."""
    return await spot_checks.draw(
        e, who, kind=SubjectKind.HOUSEHOLD, basis=basis, unit_code=unit, year=YEAR, **size
    )


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_the_frame_is_the_exits_of_the_jurisdiction_and_the_record_redraws_it(
    session: AsyncSession,
) -> None:
    e, cast, applications = await exited_pair(session, HLJ_TOWN)
    keys = sorted(a.subject_key for a in applications)
    town = await cast.pick(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN)
    drawn = await draw(e, town, HLJ_TOWN, count=1, seed="拜泉-2016-抽查")
    frame = (await spot_checks.frames(session, [drawn.id]))[drawn.id]
    # Demo households imported as exited have no procedure here: only these two are in it.
    assert frame == keys
    assert (drawn.frame_size, drawn.size, drawn.method) == (2, 1, domain.METHOD)
    assert drawn.frame_sha256 == domain.frame_sha256(frame)
    sample = (await spot_checks.samples(session, [drawn.id]))[drawn.id]
    assert [row.subject_key for row in sample] == list(
        domain.draw(frame, seed=drawn.seed, size=drawn.size)
    )
    assert all(row.unit_code.startswith(HLJ_TOWN) for row in sample)
    ledger = await session.scalar(
        select(models.AuditEvent).where(
            models.AuditEvent.object_kind == "spot_check",
            models.AuditEvent.object_id == str(drawn.id),
        )
    )
    assert ledger is not None
    assert ledger.detail["seed"] == "拜泉-2016-抽查"

    # The neighbouring township's exits are not this township's frame, nor its to draw.
    elsewhere = await cast.pick(Role.TOWNSHIP_GOVERNMENT, "230231102")
    with pytest.raises(NotFound):
        await draw(e, elsewhere, HLJ_TOWN, count=1)
    with pytest.raises(ValidationFailed, match="frame is empty"):
        await draw(e, elsewhere, "230231102", count=1)
    village = await cast.pick(Role.VILLAGE_COMMITTEES, applications[0].unit_code)
    with pytest.raises(NotPermitted):
        await draw(e, village, applications[0].unit_code, count=1)
    # A generated seed is recorded and re-draws the same way.
    province = await cast.pick(Role.PROVINCIAL_LEADING_GROUP, "23")
    generated = await draw(e, province, "23", share=domain.Decimal("0.5"))
    assert len(generated.seed) == 32
    assert generated.requested_share == "0.5"
    again = (await spot_checks.samples(session, [generated.id]))[generated.id]
    assert [r.subject_key for r in again] == list(domain.draw(keys, seed=generated.seed, size=1))


async def test_a_failed_finding_revokes_the_exit_and_returns_the_household_to_verification(
    session: AsyncSession,
) -> None:
    e, cast, applications = await exited_pair(session, HLJ_TOWN)
    town = await cast.pick(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN)
    drawn = await draw(e, town, HLJ_TOWN, count=2, seed="s")
    first, second = (await spot_checks.samples(session, [drawn.id]))[drawn.id]
    by_key = {a.subject_key: a for a in applications}
    events_before = await count(session, models.OutboxEvent)

    # Bad input changes nothing: a subject not sampled, a failure without criteria.
    for findings, path in (
        ([passed("2302311019999999")], ("findings", "0", "subjectKey")),
        (
            [passed(first.subject_key), failed(second.subject_key)],
            ("findings", "1", "failedCriteria"),
        ),
    ):
        with pytest.raises(ValidationFailed) as refused:
            await spot_checks.record_findings(e, town, spot_check_id=drawn.id, findings=findings)
        assert refused.value.path == path
    assert (
        await count(session, models.SpotCheckSubject, models.SpotCheckSubject.result.is_not(None))
        == 0
    )
    outsider = await cast.pick(Role.TOWNSHIP_GOVERNMENT, LS_TOWN)
    with pytest.raises(NotFound):
        await spot_checks.record_findings(
            e, outsider, spot_check_id=drawn.id, findings=[passed(first.subject_key)]
        )
    county = await cast.pick(Role.COUNTY_LEADING_GROUP, HLJ_TOWN[:6])
    with pytest.raises(NotPermitted):
        await spot_checks.record_findings(
            e, county, spot_check_id=drawn.id, findings=[passed(first.subject_key)]
        )

    e = later(e, days=30)
    await spot_checks.record_findings(
        e,
        town,
        spot_check_id=drawn.id,
        findings=[
            failed(first.subject_key, "income", note="务工收入未核实"),
            passed(second.subject_key),
        ],
    )
    with pytest.raises(InvalidTransition, match="recorded already"):
        await spot_checks.record_findings(
            e, town, spot_check_id=drawn.id, findings=[passed(first.subject_key)]
        )

    failing, passing = by_key[first.subject_key], by_key[second.subject_key]
    await session.refresh(failing)
    assert (failing.status, failing.stage) == (Status.IN_PROGRESS, "verification")
    household = await session.get(models.Household, failing.household_id)
    assert household is not None
    await session.refresh(household)
    assert (household.exit_attribute, household.exited_year) == (ExitAttribute.NOT_EXITED, None)
    other = await session.get(models.Household, passing.household_id)
    assert other is not None
    assert other.exit_attribute is ExitAttribute.EXITED_SUPPORTED
    await session.refresh(passing)
    assert passing.status is Status.EXITED

    records = list(
        await session.scalars(
            select(models.StageRecord)
            .where(models.StageRecord.application_id.in_([failing.id, passing.id]))
            .where(models.StageRecord.action == "spot_check")
        )
    )
    returned = next(r for r in records if r.application_id == failing.id)
    assert (returned.decision, returned.return_to) == (Decision.RETURN, "verification")
    assert "income" in (returned.reason or "")
    assert "务工收入未核实" in (returned.reason or "")
    kept = next(r for r in records if r.application_id == passing.id)
    assert kept.decision is None
    proof = await session.scalar(
        select(models.Evidence).where(models.Evidence.stage_record_id == returned.id)
    )
    assert proof is not None
    assert proof.kind is EvidenceKind.SPOT_CHECK_RECORD
    trail = await session.scalar(
        select(models.AuditEvent).where(
            models.AuditEvent.object_kind == "application",
            models.AuditEvent.object_id == str(failing.id),
            models.AuditEvent.action == "spot_check",
        )
    )
    assert trail is not None
    assert trail.evidence_hashes == [proof.sha256]
    (event,) = list(
        await session.scalars(
            select(models.OutboxEvent).where(models.OutboxEvent.position > events_before)
        )
    )
    assert event.kind == "exit_revoked"
    assert event.payload == {
        "registryNo": failing.subject_key,
        "exitAttribute": "not_exited",
        "revokedExitYear": YEAR,
        "year": YEAR,
        "spotCheckId": drawn.id,
        "failedCriteria": ["income"],
        "returnedTo": "verification",
    }
    await assert_kept_equal_a_rebuild(session)

    # Verified again, the household passes the remaining stages and exits once more; the
    # acknowledgment given before the spot check no longer counts.
    flow = book().for_unit(failing.unit_code).for_kind(SubjectKind.HOUSEHOLD)
    e = await walk(later(e, days=1), cast, failing, flow)
    assert failing.status is Status.EXITED
    await session.refresh(household)
    assert household.exit_attribute is ExitAttribute.EXITED_SUPPORTED


async def walked_to_town_review(session: AsyncSession) -> tuple[Any, Cast, list[Any]]:
    village = await household_village(session, LS_TOWN)
    cast = Cast(session)
    e, proposed = await propose_households(session, village, cast)
    flow = book().for_unit(village).for_kind(SubjectKind.HOUSEHOLD)
    for application in proposed.applications:
        e = await walk(e, cast, application, flow, until="town_spot_check")
        assert application.stage == "town_spot_check"
    return e, cast, list(proposed.applications)


async def approve(e: Any, who: Any, application: Any, *kinds: EvidenceKind) -> Any:
    return await exits.perform(
        e,
        who,
        application_id=application.id,
        stage="town_spot_check",
        decision=Decision.APPROVE,
        evidence=evidence(*kinds),
    )


async def test_lanshan_town_review_needs_a_complete_spot_check_of_its_list(
    session: AsyncSession,
) -> None:
    e, cast, applications = await walked_to_town_review(session)
    town = await cast.pick(Role.TOWNSHIP_GOVERNMENT, LS_TOWN)
    with pytest.raises(InvalidTransition, match="needs a spot check covering this application"):
        await approve(e, town, applications[0])
    with pytest.raises(ValidationFailed, match="cited from a recorded spot check"):
        await approve(e, town, applications[0], EvidenceKind.SPOT_CHECK_RECORD)

    # A municipal spot check is the city's own inspection, not the town's review.
    city = await cast.pick(Role.MUNICIPAL_LEADING_GROUP, "3713")
    by_city = await draw(e, city, LS_TOWN, basis=Basis.AWAITING_REVIEW, share=domain.Decimal("1"))
    await spot_checks.record_findings(
        e,
        city,
        spot_check_id=by_city.id,
        findings=[passed(a.subject_key) for a in applications],
    )
    with pytest.raises(InvalidTransition, match="drawn by township_government"):
        await approve(e, town, applications[0])

    drawn = await draw(
        e, town, applications[0].unit_code, basis=Basis.AWAITING_REVIEW, count=1, seed="兰山-镇抽查"
    )
    frame = (await spot_checks.frames(session, [drawn.id]))[drawn.id]
    assert frame == sorted(a.subject_key for a in applications)
    (sampled,) = (await spot_checks.samples(session, [drawn.id]))[drawn.id]
    others = [a for a in applications if a.subject_key != sampled.subject_key]
    with pytest.raises(InvalidTransition, match="every sampled subject's finding recorded"):
        await approve(e, town, others[0])  # the sample's finding is not in yet
    await spot_checks.record_findings(
        e, town, spot_check_id=drawn.id, findings=[passed(sampled.subject_key)]
    )
    for application in applications:  # the sampled one and the one not sampled
        done = await approve(later(e, hours=1), town, application)
        assert done.stage == "announcement"
    cited = list(
        await session.scalars(
            select(models.Evidence).where(
                models.Evidence.application_id.in_([a.id for a in applications]),
                models.Evidence.kind == EvidenceKind.SPOT_CHECK_RECORD,
                models.Evidence.reference.startswith(f"spot check {drawn.id} "),
            )
        )
    )
    sample = (await spot_checks.samples(session, [drawn.id]))[drawn.id]
    assert len(cited) == 2
    assert {c.sha256 for c in cited} == {spot_checks.record_sha256(drawn, sample)}


async def test_a_failed_town_review_returns_the_application_before_its_exit(
    session: AsyncSession,
) -> None:
    e, cast, applications = await walked_to_town_review(session)
    town = await cast.pick(Role.TOWNSHIP_GOVERNMENT, LS_TOWN)
    drawn = await draw(e, town, LS_TOWN, basis=Basis.AWAITING_REVIEW, count=1, seed="x")
    (sampled,) = (await spot_checks.samples(session, [drawn.id]))[drawn.id]
    events_before = await count(session, models.OutboxEvent)
    await spot_checks.record_findings(
        later(e, hours=1),
        town,
        spot_check_id=drawn.id,
        findings=[failed(sampled.subject_key, "acknowledgment", "procedure")],
    )
    back = next(a for a in applications if a.subject_key == sampled.subject_key)
    await session.refresh(back)
    assert (back.stage, back.status) == ("verification", Status.IN_PROGRESS)
    assert await count(session, models.OutboxEvent) == events_before  # it had not exited
    row = await session.get(models.SpotCheckSubject, sampled.id)
    assert row is not None
    await session.refresh(row)
    assert (row.result, row.returned_to) == (Result.FAILED, "verification")
    # The other household passes on the spot check; the returned one needs a new one
    # once it arrives here again.
    other = next(a for a in applications if a is not back)
    await approve(later(e, hours=2), town, other)
    flow = book().for_unit(back.unit_code).for_kind(SubjectKind.HOUSEHOLD)
    e = await walk(later(e, hours=3), cast, back, flow, until="town_spot_check")
    with pytest.raises(InvalidTransition, match="since it arrived here"):
        await approve(e, town, back)
