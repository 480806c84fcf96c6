"""Third-party evaluation: evaluators act only on the applications assigned to them.

An assigned evaluator of a county's application records the villages and households it
sampled and what it found (三率一度); the indicators are computed from those samples
(api/domain/evaluation.py) whenever they are read, against the bars of the policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.policy import Action
from api.db import chain, chain_facts
from api.db.models import EvaluationAssignment, ExitApplication, Jurisdiction, RoleAssignment
from api.db.repositories import applications as app_repo
from api.db.repositories import evaluations as evaluation_repo
from api.db.repositories import jurisdictions as jurisdiction_repo
from api.db.repositories.evaluations import VillageSample
from api.domain import evaluation, history
from api.domain.engine import Status
from api.domain.jurisdictions import Level, contains, level_of
from api.domain.procedures import EvidenceKind
from api.domain.register import RegionClass, SubjectKind
from api.domain.roles import Principal, Role
from api.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from api.services import access, ledger
from api.services.exits import (
    Env,
    EvidenceInput,
    check_evidence,
    flush_or_conflict,
    procedure_of,
    record_action,
)


async def assign_evaluator(
    env: Env, principal: Principal, *, application_id: int, evaluator: str
) -> EvaluationAssignment:
    application = await app_repo.get(env.session, application_id, scope=principal.read_scope())
    if application is None:
        raise NotFound("application", str(application_id))
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj="evaluation",
        action=Action.ASSIGN,
    )
    if not await _holds_evaluator_role(env.session, evaluator, application.unit_code):
        raise ValidationFailed(
            f"{evaluator} holds no third_party_evaluator role covering {application.unit_code}",
            path=("evaluator",),
        )
    assignment = EvaluationAssignment(
        application_id=application.id,
        evaluator=evaluator,
        assigned_by=principal.subject,
        assigned_at=env.now,
    )
    env.session.add(assignment)
    chain.note_row(env.session, "evaluation_assignment", assignment)
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action="assign_evaluator",
        object_kind="application",
        object_id=application.id,
        unit_code=application.unit_code,
        at=env.now,
        detail={"evaluator": evaluator, "stage": application.stage},
    )
    return assignment


async def submit_evaluation(
    env: Env, principal: Principal, *, application_id: int, report: EvidenceInput
) -> ExitApplication:
    """Attach an evaluation report to the application's current stage."""
    check_evidence([report])
    if report.kind is not EvidenceKind.EVALUATION_REPORT:
        raise ValidationFailed("an evaluation submits an evaluation_report", path=("report",))
    found = (
        await env.session.execute(
            select(ExitApplication, EvaluationAssignment.id)
            .join(EvaluationAssignment, EvaluationAssignment.application_id == ExitApplication.id)
            .where(
                ExitApplication.id == application_id,
                EvaluationAssignment.evaluator == principal.subject,
            )
        )
    ).first()
    if found is None:  # not assigned to this evaluator: not there at all, for it
        raise NotFound("application", str(application_id))
    application, assignment_id = found
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj="evaluation",
        action=Action.SUBMIT,
    )
    if application.status is not Status.IN_PROGRESS:
        raise InvalidTransition(f"the application is {application.status}")
    _, flow = await procedure_of(env, application)
    stage = flow.stages[flow.index_of(application.stage)]
    if EvidenceKind.EVALUATION_REPORT not in stage.evidence:
        raise InvalidTransition(f"stage {stage.code} takes no evaluation report")
    application.updated_at = env.now  # bumps the row version
    await record_action(env, application, principal, application.stage, "evaluation", [report])
    sync = env.session.sync_session
    chain.note(
        env.session,
        lambda: chain.Fact(
            "evaluation_samples",
            assignment_id,
            application.id,
            chain_facts.samples_of(sync, assignment_id),
        ),
    )
    await flush_or_conflict(env)
    return application


async def _holds_evaluator_role(session: AsyncSession, subject: str, unit_code: str) -> bool:
    rows = await session.scalars(
        select(RoleAssignment.jurisdiction_code).where(
            RoleAssignment.subject == subject,
            RoleAssignment.role == Role.THIRD_PARTY_EVALUATOR,
            RoleAssignment.revoked_at.is_(None),
        )
    )
    return any(contains(code, unit_code) for code in rows)


# ---------------------------------------------------------------- 三率一度 samples

MAX_HOUSEHOLDS = 2_000
"""Households recorded for one sampled village at a time."""
MAX_PEOPLE = 50
MAX_RURAL_POPULATION = 1_000_000


@dataclass(frozen=True, slots=True)
class SampledHouseholdInput:
    """One surveyed household as the evaluator recorded it: its questionnaire number
    (no name: the sample is not a second register), its people and its findings."""

    survey_no: str
    people: int
    registered: bool
    exited: bool
    found_poor: bool
    recognises: bool


@dataclass(frozen=True, slots=True)
class CountyEvaluation:
    """One evaluator's samples of a county and the indicators computed from them."""

    assignment: EvaluationAssignment
    region: RegionClass
    villages: list[VillageSample]
    result: evaluation.Evaluation


async def record_village(
    env: Env,
    principal: Principal,
    *,
    application_id: int,
    village_code: str,
    rural_population: int,
    households: Sequence[SampledHouseholdInput],
) -> EvaluationAssignment:
    """Record a sampled village and its surveyed households (replacing what the same
    evaluator recorded of it before), while its report for the stage is not yet in."""
    _check_sample(rural_population, households)
    assignment, application = await _open(env, principal, application_id)
    await _check_village(env, application, village_code)
    await evaluation_repo.replace_village(
        env.session,
        assignment_id=assignment.id,
        village_code=village_code,
        rural_population=rural_population,
        households=[
            {
                "survey_no": h.survey_no.strip(),
                "people": h.people,
                "registered": h.registered,
                "exited": h.exited,
                "found_poor": h.found_poor,
                "recognises": h.recognises,
            }
            for h in households
        ],
        now=env.now,
    )
    await _recorded(
        env,
        principal,
        application,
        "record_evaluation_village",
        {
            "village": village_code,
            "rural_population": rural_population,
            "households": len(households),
            "people": sum(h.people for h in households),
        },
    )
    return assignment


async def remove_village(
    env: Env, principal: Principal, *, application_id: int, village_code: str
) -> EvaluationAssignment:
    """Withdraw a village the evaluator recorded by mistake, with its households."""
    assignment, application = await _open(env, principal, application_id)
    removed = await evaluation_repo.remove_village(
        env.session, assignment_id=assignment.id, village_code=village_code
    )
    if not removed:
        raise NotFound("sampled village", village_code)
    await _recorded(
        env, principal, application, "remove_evaluation_village", {"village": village_code}
    )
    return assignment


async def assignment_evaluation(
    session: AsyncSession, assignment_id: int, *, bars: evaluation.EvaluationBars
) -> CountyEvaluation:
    """What one assignment has recorded so far, as readers of its application see it."""
    found = await evaluation_repo.assignment(session, assignment_id)
    assert found is not None  # nothing deletes an assignment
    assignment, application = found
    recorded = await evaluation_repo.for_applications(session, [application.id])
    regions = await jurisdiction_repo.county_region_classes(session, [application.subject_key])
    region = regions.get(application.subject_key, RegionClass.GENERAL)
    mine = next(r for r in recorded[application.id] if r.assignment.id == assignment.id)
    return _evaluated(mine, region, bars)


async def county_evaluations(
    session: AsyncSession,
    keys: Sequence[tuple[int, str]],
    *,
    bars: evaluation.EvaluationBars,
) -> dict[tuple[int, str], list[CountyEvaluation]]:
    """The evaluations of each (county application id, county code), in the order their
    evaluators were assigned, with the county's region class deciding its incidence bar."""
    recorded = await evaluation_repo.for_applications(session, [i for i, _ in keys])
    regions = await jurisdiction_repo.county_region_classes(session, [c for _, c in keys])
    found: dict[tuple[int, str], list[CountyEvaluation]] = {}
    for application_id, county in keys:
        region = regions.get(county, RegionClass.GENERAL)
        found[(application_id, county)] = [
            _evaluated(r, region, bars) for r in recorded[application_id]
        ]
    return found


def _evaluated(
    recorded: evaluation_repo.Recorded, region: RegionClass, bars: evaluation.EvaluationBars
) -> CountyEvaluation:
    """One assignment's evaluation: only its own samples are judged."""
    return CountyEvaluation(
        assignment=recorded.assignment,
        region=region,
        villages=recorded.villages,
        result=evaluation.evaluate(
            [_sampled(v) for v in recorded.villages], region=region, bars=bars
        ),
    )


def _sampled(sample: VillageSample) -> evaluation.SampledVillage:
    return evaluation.SampledVillage(
        code=sample.village.village_code,
        rural_population=sample.village.rural_population,
        households=[
            evaluation.SampledHousehold(
                people=h.people,
                registered=h.registered,
                exited=h.exited,
                found_poor=h.found_poor,
                recognises=h.recognises,
            )
            for h in sample.households
        ],
    )


def _check_sample(rural_population: int, households: Sequence[SampledHouseholdInput]) -> None:
    if not 0 < rural_population <= MAX_RURAL_POPULATION:
        raise ValidationFailed(
            f"the rural population surveyed is 1 to {MAX_RURAL_POPULATION:,}",
            path=("ruralPopulation",),
        )
    if not 0 < len(households) <= MAX_HOUSEHOLDS:
        raise ValidationFailed(
            f"record 1 to {MAX_HOUSEHOLDS} surveyed households", path=("households",)
        )
    seen: set[str] = set()
    for index, household in enumerate(households):
        path = ("households", str(index))
        number = household.survey_no.strip()
        if not 0 < len(number) <= 32:
            raise ValidationFailed(
                "a questionnaire number is 1-32 characters", path=(*path, "surveyNo")
            )
        if number in seen:
            raise ValidationFailed(
                f"questionnaire {number} appears twice", path=(*path, "surveyNo")
            )
        seen.add(number)
        if not 0 < household.people <= MAX_PEOPLE:
            raise ValidationFailed(
                f"a household has 1 to {MAX_PEOPLE} people", path=(*path, "people")
            )
        if household.exited and not household.registered:
            raise ValidationFailed(
                "only a registered household can have exited", path=(*path, "exited")
            )
    people = sum(h.people for h in households)
    if people > rural_population:
        raise ValidationFailed(
            f"the households recorded hold {people} people, more than the {rural_population} "
            "surveyed",
            path=("ruralPopulation",),
        )


async def _open(
    env: Env, principal: Principal, application_id: int
) -> tuple[EvaluationAssignment, ExitApplication]:
    """The principal's assignment to a county application whose evaluation is open.

    Not found for whoever neither is assigned to it nor may read it; not permitted for
    those who may read it but are not its assigned evaluator.
    """
    found = await evaluation_repo.assigned(env.session, application_id, evaluator=principal.subject)
    if found is None:
        visible = await app_repo.get(env.session, application_id, scope=principal.read_scope())
        if visible is None:
            raise NotFound("application", str(application_id))
        raise NotPermitted("only an evaluator assigned to the application records its samples")
    assignment, application = found
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj="evaluation",
        action=Action.RECORD,
    )
    if application.subject_kind is not SubjectKind.COUNTY:
        raise InvalidTransition("三率一度 samples are recorded for a county's exit application")
    if application.status is not Status.IN_PROGRESS:
        raise InvalidTransition(f"the application is {application.status}")
    _, flow = await procedure_of(env, application)
    stage = flow.stages[flow.index_of(application.stage)]
    if EvidenceKind.EVALUATION_REPORT not in stage.evidence:
        raise InvalidTransition(f"stage {stage.code} takes no evaluation")
    records = (await app_repo.records_for(env.session, [application.id]))[application.id]
    entries = [history.Entry(r.stage, r.action, r.decision, r.actor_subject, r.at) for r in records]
    if history.acted_since_reset(
        entries, stage=stage.code, action="evaluation", actor=principal.subject
    ):
        raise InvalidTransition(
            "your evaluation report for this stage is submitted: the samples behind it are final"
        )
    return assignment, application


async def _check_village(env: Env, application: ExitApplication, code: str) -> None:
    path = ("villageCode",)
    try:
        village = level_of(code) is Level.VILLAGE
    except ValidationFailed:
        village = False
    if not village or not contains(application.unit_code, code):
        raise ValidationFailed(
            f"{code} is not a village of county {application.unit_code}", path=path
        )
    if await env.session.get(Jurisdiction, code) is None:
        raise ValidationFailed(f"no village {code} in the division table", path=path)


async def _recorded(
    env: Env,
    principal: Principal,
    application: ExitApplication,
    action: str,
    detail: dict[str, object],
) -> None:
    application.updated_at = env.now  # bumps the row version: a concurrent report wins cleanly
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action=action,
        object_kind="application",
        object_id=application.id,
        unit_code=application.unit_code,
        at=env.now,
        detail={"stage": application.stage, **detail},
    )
    await flush_or_conflict(env)
