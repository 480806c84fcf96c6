"""Exit procedures as use cases: propose a list, post a notice, perform a stage,
raise and resolve objections, return a household to poverty.

Every use case: find the subject within the caller's scope (NotFound otherwise),
authorize through Casbin (NotPermitted), let the pure engine decide the step
(InvalidTransition, NoticePeriodNotElapsed, StandardNotMet...), then write the
new state, the stage record, its evidence and a ledger event, and flush. The
caller's unit of work commits; a lost race surfaces as Conflict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from api.authz.enforcer import Authorizer
from api.authz.policy import Action, stage_object
from api.db.models import (
    CountyDesignationRow,
    Evidence,
    ExitApplication,
    ExitList,
    Household,
    Objection,
    ProcedureVersion,
    StageRecord,
    VillageDesignationRow,
)
from api.db.repositories import applications as app_repo
from api.db.repositories import households as household_repo
from api.db.repositories.scoping import in_scope, in_subtree
from api.domain import engine
from api.domain.engine import State, Status
from api.domain.jurisdictions import Level, Scope, level_of, validate_code
from api.domain.procedures import (
    Check,
    Decision,
    Effect,
    EvidenceKind,
    Procedure,
    SubjectProcedure,
    parse_procedure,
)
from api.domain.register import CountyDesignation, ExitAttribute, SubjectKind
from api.domain.roles import Principal
from api.domain.rules import StandardsPolicy
from api.domain.standards import Criterion, StandardCheck, check_facilities, combine
from api.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    StandardNotMet,
    ValidationFailed,
)
from api.procedure_files import ProcedureBook
from api.services import access, ledger, outbox, registry

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SUBJECT_LEVEL = {
    SubjectKind.HOUSEHOLD: None,
    SubjectKind.VILLAGE: Level.VILLAGE,
    SubjectKind.COUNTY: Level.COUNTY,
}


CHINA = ZoneInfo("Asia/Shanghai")
ATTACH_ONLY = frozenset({EvidenceKind.EVALUATION_REPORT})
"""Evidence only others may attach: the performer cannot evaluate its own subject."""
_EXITED = (ExitAttribute.EXITED_SUPPORTED, ExitAttribute.EXITED_SUPPORT_ENDED)


def china_today(now: datetime) -> date:
    """The calendar day in China: an approval at 07:00 on 1 January is a January exit."""
    return now.astimezone(CHINA).date()


@dataclass(frozen=True, slots=True)
class Env:
    """What every use case works with; ``now`` is the request's clock reading."""

    session: AsyncSession
    authorizer: Authorizer
    book: ProcedureBook
    standards: StandardsPolicy
    now: datetime


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    kind: EvidenceKind
    reference: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ProposedList:
    exit_list: ExitList
    applications: list[ExitApplication]


@dataclass(frozen=True, slots=True)
class _Subject:
    key: str
    unit_code: str
    household: Household | None
    designation: CountyDesignation | None


# ---------------------------------------------------------------- propose


async def propose(
    env: Env,
    principal: Principal,
    *,
    kind: SubjectKind,
    unit_code: str,
    year: int,
    subjects: Sequence[str],
    evidence: Sequence[EvidenceInput],
) -> ProposedList:
    """Propose a list of subjects: each gets its own application, past the first stage."""
    validate_code(unit_code)
    check_evidence(evidence)
    if not 2000 <= year <= china_today(env.now).year:
        raise ValidationFailed(
            f"year must be between 2000 and this year, not {year}", path=("year",)
        )
    if not subjects:
        raise ValidationFailed("a list names at least one subject", path=("subjects",))
    if len(set(subjects)) != len(subjects):
        raise ValidationFailed("a subject appears twice in the list", path=("subjects",))
    scope = principal.read_scope()
    if not scope.covers(unit_code):
        raise NotFound("unit", unit_code)
    procedure = env.book.for_unit(unit_code)
    flow = procedure.for_kind(kind)
    first = flow.stages[0]
    found = await _subjects(env, scope, kind, unit_code, subjects)
    for subject in found:
        if env.book.for_unit(subject.unit_code).code != procedure.code:
            raise ValidationFailed(
                f"{subject.key} follows another procedure than {unit_code}'s; "
                "propose it with its own unit",
                path=("subjects",),
            )
    for subject in found:
        if subject.household is not None and year < subject.household.registered_year:
            raise ValidationFailed(
                f"household {subject.key} was registered in "
                f"{subject.household.registered_year}, after {year}",
                path=("year",),
            )
    for subject in found:
        await access.authorize(
            env.session,
            env.authorizer,
            principal,
            domain=subject.unit_code,
            obj=stage_object(procedure, kind, first, subject.designation),
            action=Action.PERFORM,
        )
    taken = await env.session.scalars(
        select(ExitApplication.subject_key).where(
            ExitApplication.subject_kind == kind,
            ExitApplication.subject_key.in_([s.key for s in found]),
            or_(
                ExitApplication.year == year,
                ExitApplication.status.in_([Status.IN_PROGRESS, Status.OBJECTED]),
            ),
        )
    )
    already = sorted(set(taken))
    if already:
        raise InvalidTransition(
            f"{', '.join(already)} already has an open exit application or one for {year}"
        )
    checks = await _standard_checks(env, kind, flow, found, year)
    failures = [
        (f"{subject.key}: {shortfall.criterion}", shortfall.detail)
        for subject in found
        for shortfall in checks[subject.key].shortfalls
    ]
    if failures:
        raise StandardNotMet(failures)
    version = await _version_row(env, procedure)
    exit_list = ExitList(
        procedure_version_id=version.id,
        subject_kind=kind,
        unit_code=unit_code,
        year=year,
        created_by=principal.subject,
        created_at=env.now,
    )
    env.session.add(exit_list)
    await env.session.flush()
    kinds = frozenset(item.kind for item in evidence)
    made = []
    for subject in found:
        outcome = engine.start(
            flow, actor=principal.subject, check=checks[subject.key], evidence=kinds
        )
        application = ExitApplication(
            procedure_version_id=version.id,
            list_id=exit_list.id,
            subject_kind=kind,
            subject_key=subject.key,
            unit_code=subject.unit_code,
            household_id=subject.household.id if subject.household else None,
            designation=subject.designation,
            year=year,
            stage=outcome.state.stage,
            status=outcome.state.status,
            created_at=env.now,
            updated_at=env.now,
        )
        env.session.add(application)
        await flush_or_conflict(env)
        await record_action(
            env, application, principal, first.code, "perform", evidence, decision=Decision.APPROVE
        )
        await _effects(env, application, outcome.effects)
        made.append(application)
    await flush_or_conflict(env)
    return ProposedList(exit_list, made)


async def _subjects(
    env: Env, scope: Scope, kind: SubjectKind, unit_code: str, keys: Sequence[str]
) -> list[_Subject]:
    if kind is SubjectKind.HOUSEHOLD:
        rows = await env.session.scalars(
            select(Household).where(
                Household.registry_no.in_(keys),
                in_subtree(Household.village_code, unit_code),
                in_scope(Household.village_code, scope),
            )
        )
        households = {row.registry_no: row for row in rows}
        for key in keys:
            household = households.get(key)
            if household is None:
                raise NotFound("household", key)
            if household.exit_attribute not in (
                ExitAttribute.NOT_EXITED,
                ExitAttribute.RETURNED_TO_POVERTY,
            ):
                raise InvalidTransition(f"household {key} is not in the registered poor population")
        return [_Subject(k, households[k].village_code, households[k], None) for k in keys]
    level = _SUBJECT_LEVEL[kind]
    for key in keys:
        if level_of(validate_code(key)) is not level or not key.startswith(unit_code):
            raise NotFound(str(kind), key)
    designated: dict[str, tuple[Any, CountyDesignation | None]] = {}
    if kind is SubjectKind.VILLAGE:
        village_rows = await env.session.scalars(
            select(VillageDesignationRow).where(VillageDesignationRow.village_code.in_(keys))
        )
        designated = {r.village_code: (r.exited_on, None) for r in village_rows}
    else:
        county_rows = await env.session.scalars(
            select(CountyDesignationRow).where(CountyDesignationRow.county_code.in_(keys))
        )
        designated = {r.county_code: (r.exited_on, r.designation) for r in county_rows}
    result = []
    for key in keys:
        if not scope.covers(key) or key not in designated:
            raise NotFound(f"designated poor {kind}", key)
        exited_on, designation = designated[key]
        if exited_on is not None:
            raise InvalidTransition(f"{kind} {key} exited on {exited_on}")
        result.append(_Subject(key, key, None, designation))
    return result


async def _standard_checks(
    env: Env, kind: SubjectKind, flow: SubjectProcedure, found: list[_Subject], year: int
) -> dict[str, StandardCheck]:
    checks = {subject.key: StandardCheck(()) for subject in found}
    if Check.HOUSEHOLD_STANDARD in flow.checks:
        households = [s.household for s in found if s.household is not None]
        by_id = await registry.check_households(
            env.session, households, year=year, policy=env.standards
        )
        for subject in found:
            assert subject.household is not None
            checks[subject.key] = by_id[subject.household.id]
    if Check.INCIDENCE in flow.checks:
        codes = [s.key for s in found]
        units = await registry.incidences(
            env.session, codes, year=year, scope=Scope.all(), policy=env.standards
        )
        for code in codes:
            unit = units[code]
            assert unit is not None
            assert unit.check is not None
            checks[code] = combine(checks[code], unit.check)
    facilities = [
        Criterion(c.value)
        for c in flow.checks
        if c not in (Check.HOUSEHOLD_STANDARD, Check.INCIDENCE)
    ]
    if facilities and kind is SubjectKind.VILLAGE:
        recorded = await app_repo.facilities(env.session, [s.key for s in found], year=year)
        for subject in found:
            present = recorded.get(subject.key)
            checks[subject.key] = combine(
                checks[subject.key],
                check_facilities(
                    None if present is None else {Criterion(k): v for k, v in present.items()},
                    required=facilities,
                    year=year,
                ),
            )
    return checks


# ---------------------------------------------------------------- stages


async def post_notice(
    env: Env,
    principal: Principal,
    *,
    application_id: int,
    stage: str,
    evidence: Sequence[EvidenceInput],
) -> ExitApplication:
    check_evidence(evidence)
    application, procedure, flow = await _load(env, principal, application_id)
    current = flow.stages[flow.index_of(stage)]
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj=stage_object(procedure, application.subject_kind, current, application.designation),
        action=Action.POST_NOTICE,
    )
    state = await _state(env, application)
    new = engine.post_notice(
        flow, state, stage=stage, evidence=frozenset(e.kind for e in evidence), now=env.now
    )
    _apply(env, application, new)
    await record_action(env, application, principal, stage, "post_notice", evidence)
    await flush_or_conflict(env)
    return application


async def perform(
    env: Env,
    principal: Principal,
    *,
    application_id: int,
    stage: str,
    decision: Decision,
    evidence: Sequence[EvidenceInput] = (),
    return_to: str | None = None,
    reason: str | None = None,
) -> ExitApplication:
    check_evidence(evidence)
    application, procedure, flow = await _load(env, principal, application_id)
    current = flow.stages[flow.index_of(stage)]
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj=stage_object(procedure, application.subject_kind, current, application.designation),
        action=Action.PERFORM,
    )
    if any(item.kind in ATTACH_ONLY for item in evidence):
        raise ValidationFailed(
            "an evaluation_report comes from an assigned third-party evaluator "
            "(submitEvaluation), not from the stage's performer",
            path=("evidence",),
        )
    if decision is Decision.APPROVE and stage == flow.stages[0].code:
        await _still_meets(env, application, flow)
    state = await _state(env, application)
    evaluated = await app_repo.attached_kinds(
        env.session,
        application.id,
        stage=stage,
        since=await app_repo.last_reset(env.session, application.id),
    )
    outcome = engine.perform(
        flow,
        state,
        stage=stage,
        actor=principal.subject,
        decision=decision,
        evidence=frozenset(e.kind for e in evidence) | evaluated,
        now=env.now,
        return_to=return_to,
        reason=reason,
    )
    _apply(env, application, outcome.state)
    await record_action(
        env,
        application,
        principal,
        stage,
        "perform",
        evidence,
        decision=decision,
        return_to=return_to,
        reason=reason,
    )
    await _effects(env, application, outcome.effects)
    await flush_or_conflict(env)
    return application


# ---------------------------------------------------------------- objections


async def raise_objection(
    env: Env, principal: Principal | None, *, application_id: int, content: str
) -> Objection:
    """Anyone may object while a notice runs; the public need not say who they are."""
    content = content.strip()
    if not content or len(content) > 2000:
        raise ValidationFailed(
            "an objection says what is wrong in 1-2000 characters", path=("content",)
        )
    if principal is None:
        application = await app_repo.posted_now(env.session, application_id, now=env.now)
    else:
        application = await app_repo.get(env.session, application_id, scope=principal.read_scope())
    if application is None:
        raise NotFound("application", str(application_id))
    _, flow = await procedure_of(env, application)
    noticed = application.stage
    new = engine.raise_objection(flow, await _state(env, application), now=env.now)
    objection = Objection(
        application_id=application.id,
        stage=noticed,
        content=content,
        raised_by=principal.subject if principal else None,
        raised_at=env.now,
    )
    env.session.add(objection)
    _apply(env, application, new)
    env.session.add(
        StageRecord(
            application_id=application.id,
            stage=noticed,
            action="objection",
            return_to=new.stage,
            reason=content,
            actor_subject=principal.subject if principal else "public",
            actor_role=str(principal.role) if principal else "public",
            actor_jurisdiction=principal.jurisdiction if principal else "",
            at=env.now,
        )
    )
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal or "public",
        action="raise_objection",
        object_kind="application",
        object_id=application.id,
        unit_code=application.unit_code,
        at=env.now,
        detail={"objection": objection.id, "stage": noticed, "returned_to": new.stage},
    )
    return objection


async def resolve_objection(
    env: Env, principal: Principal, *, objection_id: int, upheld: bool, resolution: str
) -> Objection:
    if not resolution.strip():
        raise ValidationFailed("a resolution records what was found", path=("resolution",))
    objection = await app_repo.objection(env.session, objection_id)
    application = (
        None
        if objection is None
        else await app_repo.get(env.session, objection.application_id, scope=principal.read_scope())
    )
    if objection is None or application is None:
        raise NotFound("objection", str(objection_id))
    if objection.outcome is not None:
        raise InvalidTransition(f"objection {objection_id} was resolved already")
    procedure, flow = await procedure_of(env, application)
    current = flow.stages[flow.index_of(application.stage)]
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj=stage_object(procedure, application.subject_kind, current, application.designation),
        action=Action.RESOLVE_OBJECTION,
    )
    new = engine.resolve_objection(await _state(env, application), upheld=upheld)
    objection.outcome = "upheld" if upheld else "dismissed"
    objection.resolution = resolution.strip()
    objection.resolved_by = principal.subject
    objection.resolved_at = env.now
    _apply(env, application, new)
    env.session.add(
        StageRecord(
            application_id=application.id,
            stage=application.stage,
            action="resolve_objection",
            reason=objection.resolution,
            actor_subject=principal.subject,
            actor_role=str(principal.role),
            actor_jurisdiction=principal.jurisdiction,
            at=env.now,
        )
    )
    await outbox.emit(
        env.session,
        kind=outbox.ChangeKind.OBJECTION_RESOLVED,
        subject_kind=str(application.subject_kind),
        subject_key=application.subject_key,
        unit_code=application.unit_code,
        now=env.now,
        payload={
            "objection": objection.id,
            "stage": objection.stage,
            "outcome": objection.outcome,
            "applicationStatus": new.status.value,
        },
    )
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action="resolve_objection",
        object_kind="application",
        object_id=application.id,
        unit_code=application.unit_code,
        at=env.now,
        detail={"objection": objection.id, "outcome": objection.outcome},
    )
    return objection


# ---------------------------------------------------------------- dynamic management


async def return_to_poverty(
    env: Env, principal: Principal, *, registry_no: str, year: int
) -> Household:
    """An exited household found below its standard in ``year`` is taken back in (返贫)."""
    household = await env.session.scalar(
        select(Household).where(
            Household.registry_no == registry_no,
            in_scope(Household.village_code, principal.read_scope()),
        )
    )
    if household is None:
        raise NotFound("household", registry_no)
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=household.village_code,
        obj="register",
        action=Action.RETURN_TO_POVERTY,
    )
    if household.exit_attribute not in _EXITED or household.exited_year is None:
        raise InvalidTransition(f"household {registry_no} has not exited")
    if not household.exited_year < year <= china_today(env.now).year:
        raise ValidationFailed(
            f"a return to poverty is judged in a year after the exit ({household.exited_year}) "
            "and not in the future",
            path=("year",),
        )
    accounts = (await registry.household_accounts(env.session, [household.id], year=year))[
        household.id
    ]
    assessed = await household_repo.latest_assessments(env.session, [household.id], year=year)
    if accounts.gross == 0 or household.id not in assessed:
        raise ValidationFailed(
            f"record {year}'s income and 两不愁三保障 assessment before judging a return",
            path=("year",),
        )
    check = (
        await registry.check_households(env.session, [household], year=year, policy=env.standards)
    )[household.id]
    if check.met:
        raise InvalidTransition(
            f"household {registry_no} meets its standard in {year}; it has not returned to poverty"
        )
    household.exit_attribute = ExitAttribute.RETURNED_TO_POVERTY
    household.returned_year = year
    await outbox.emit(
        env.session,
        kind=outbox.ChangeKind.RETURNED_TO_POVERTY,
        subject_kind="household",
        subject_key=household.registry_no,
        unit_code=household.village_code,
        now=env.now,
        payload={
            "registryNo": household.registry_no,
            "exitAttribute": household.exit_attribute.value,
            "returnedYear": year,
        },
    )
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action="return_to_poverty",
        object_kind="household",
        object_id=household.id,
        unit_code=household.village_code,
        at=env.now,
        detail={"year": year, "failed": [c.value for c in check.failed]},
    )
    return household


# ---------------------------------------------------------------- helpers


async def _still_meets(env: Env, application: ExitApplication, flow: SubjectProcedure) -> None:
    """Re-approving the first stage (after a return) proposes the subject again: judge it."""
    subject = _Subject(
        application.subject_key,
        application.unit_code,
        None
        if application.household_id is None
        else await env.session.get(Household, application.household_id),
        application.designation,
    )
    check = (
        await _standard_checks(env, application.subject_kind, flow, [subject], application.year)
    )[subject.key]
    if not check.met:
        raise StandardNotMet(
            [(f"{subject.key}: {s.criterion}", s.detail) for s in check.shortfalls]
        )


async def _load(
    env: Env, principal: Principal, application_id: int
) -> tuple[ExitApplication, Procedure, SubjectProcedure]:
    application = await app_repo.get(env.session, application_id, scope=principal.read_scope())
    if application is None:
        raise NotFound("application", str(application_id))
    procedure, flow = await procedure_of(env, application)
    return application, procedure, flow


async def procedure_of(
    env: Env, application: ExitApplication
) -> tuple[Procedure, SubjectProcedure]:
    """The procedure the application started under, from its stored snapshot."""
    row = await app_repo.version(env.session, application.procedure_version_id)
    procedure = snapshot(row)
    return procedure, procedure.for_kind(application.subject_kind)


def snapshot(row: ProcedureVersion) -> Procedure:
    """The parsed procedure of a stored version, parsed once per process."""
    procedure = _PARSED.get(row.digest)
    if procedure is None:
        procedure = _PARSED[row.digest] = parse_procedure(row.definition)
    return procedure


_PARSED: dict[str, Procedure] = {}
"""Parsed snapshots by digest; a digest's definition never changes, so this never goes stale."""


async def _version_row(env: Env, procedure: Procedure) -> ProcedureVersion:
    row = await app_repo.version_by_digest(env.session, procedure.digest)
    if row is None:
        row = ProcedureVersion(
            code=procedure.code,
            version=procedure.version,
            digest=procedure.digest,
            definition=dict(procedure.raw),
            registered_at=env.now,
        )
        env.session.add(row)
        await flush_or_conflict(env)
    return row


async def _state(env: Env, application: ExitApplication) -> State:
    return State(
        stage=application.stage,
        status=application.status,
        notice_started_at=application.notice_started_at,
        notice_ends_at=application.notice_ends_at,
        performers=await app_repo.performers(env.session, application.id),
    )


def _apply(env: Env, application: ExitApplication, state: State) -> None:
    application.stage = state.stage
    application.status = state.status
    application.notice_started_at = state.notice_started_at
    application.notice_ends_at = state.notice_ends_at
    application.updated_at = env.now


async def record_action(
    env: Env,
    application: ExitApplication,
    principal: Principal,
    stage: str,
    action: str,
    evidence: Sequence[EvidenceInput],
    *,
    decision: Decision | None = None,
    return_to: str | None = None,
    reason: str | None = None,
) -> None:
    record = StageRecord(
        application_id=application.id,
        stage=stage,
        action=action,
        decision=decision,
        return_to=return_to,
        reason=reason,
        actor_subject=principal.subject,
        actor_role=str(principal.role),
        actor_jurisdiction=principal.jurisdiction,
        at=env.now,
    )
    env.session.add(record)
    await flush_or_conflict(env)
    for item in evidence:
        env.session.add(
            Evidence(
                application_id=application.id,
                stage_record_id=record.id,
                kind=item.kind,
                reference=item.reference,
                sha256=item.sha256,
            )
        )
    await ledger.append(
        env.session,
        actor=principal,
        action=action,
        object_kind="application",
        object_id=application.id,
        unit_code=application.unit_code,
        at=env.now,
        detail={
            "stage": stage,
            "decision": decision,
            "return_to": return_to,
            "reason": reason,
            "status": application.status.value,
        },
        evidence_hashes=[item.sha256 for item in evidence],
    )


async def _effects(env: Env, application: ExitApplication, effects: Sequence[Effect]) -> None:
    """Apply exit effects and write, in the same transaction, what the national system
    must be told."""
    for effect in effects:
        if effect is Effect.DEREGISTER_HOUSEHOLD:
            household = await env.session.get(Household, application.household_id)
            assert household is not None
            if household.exit_attribute in _EXITED:
                raise InvalidTransition(f"household {household.registry_no} has exited already")
            household.exit_attribute = ExitAttribute.EXITED_SUPPORTED
            household.exited_year = application.year
            household.returned_year = None
            await outbox.emit(
                env.session,
                kind=outbox.ChangeKind.HOUSEHOLD_DEREGISTERED,
                subject_kind="household",
                subject_key=household.registry_no,
                unit_code=household.village_code,
                now=env.now,
                payload={
                    "registryNo": household.registry_no,
                    "exitAttribute": household.exit_attribute.value,
                    "exitedYear": household.exited_year,
                },
            )
        elif effect is Effect.MARK_VILLAGE_EXITED:
            village = await env.session.get(VillageDesignationRow, application.subject_key)
            assert village is not None
            await _mark_exited(env, application, village, outbox.ChangeKind.VILLAGE_EXIT_MARKED)
        elif effect is Effect.APPROVE_COUNTY_EXIT:
            county = await env.session.get(CountyDesignationRow, application.subject_key)
            assert county is not None
            await _mark_exited(
                env,
                application,
                county,
                outbox.ChangeKind.COUNTY_EXIT_APPROVED,
                designation=county.designation.value,
            )


async def _mark_exited(
    env: Env,
    application: ExitApplication,
    designation_row: VillageDesignationRow | CountyDesignationRow,
    kind: outbox.ChangeKind,
    **extra: str,
) -> None:
    """Set a designated village's or county's exit date and tell the national system."""
    code = application.subject_key
    if designation_row.exited_on is not None:
        raise InvalidTransition(f"{application.subject_kind} {code} has exited already")
    designation_row.exited_on = china_today(env.now)
    await outbox.emit(
        env.session,
        kind=kind,
        subject_kind=str(application.subject_kind),
        subject_key=code,
        unit_code=code,
        now=env.now,
        payload={
            f"{application.subject_kind}Code": code,
            "exitedOn": designation_row.exited_on.isoformat(),
            "year": application.year,
            **extra,
        },
    )


def check_evidence(evidence: Sequence[EvidenceInput]) -> None:
    for index, item in enumerate(evidence):
        path = ("evidence", str(index))
        if not item.reference.strip() or len(item.reference) > 500:
            raise ValidationFailed(
                "evidence names its document (1-500 characters)", path=(*path, "reference")
            )
        if not _SHA256.fullmatch(item.sha256):
            raise ValidationFailed("sha256 is 64 lower-case hex digits", path=(*path, "sha256"))


async def flush_or_conflict(env: Env) -> None:
    """Flush, turning a lost race into Conflict."""
    try:
        await env.session.flush()
    except StaleDataError:
        raise Conflict("the application was changed by someone else; reload and retry") from None
    except IntegrityError as exc:
        if "unique" in str(exc.orig).lower():
            raise Conflict("the subject already has an application for that year") from None
        raise
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower():
            raise Conflict("the database is busy with a concurrent change; retry") from None
        raise


__all__ = [
    "Env",
    "EvidenceInput",
    "ProposedList",
    "Status",
    "perform",
    "post_notice",
    "propose",
    "raise_objection",
    "resolve_objection",
    "return_to_poverty",
]


async def application(env: Env, principal: Principal, application_id: int) -> ExitApplication:
    """One application the principal can see; NotFound otherwise."""
    found = await app_repo.get(env.session, application_id, scope=principal.read_scope())
    if found is None:
        raise NotFound("application", str(application_id))
    return found


async def record_acknowledgment(
    env: Env, principal: Principal, *, application_id: int, evidence: EvidenceInput
) -> ExitApplication:
    """Attach the household's signed acknowledgment (认可) to the stage that needs it.

    The stage's performers record it; approving the stage later counts it. Without it
    the stage cannot pass: an exit without the household's consent (被脱贫) is refused.
    """
    check_evidence([evidence])
    if evidence.kind is not EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT:
        raise ValidationFailed(
            "an acknowledgment is household_acknowledgment evidence", path=("evidence", "kind")
        )
    application, procedure, flow = await _load(env, principal, application_id)
    current = flow.stages[flow.index_of(application.stage)]
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj=stage_object(procedure, application.subject_kind, current, application.designation),
        action=Action.PERFORM,
    )
    if application.status is not Status.IN_PROGRESS:
        raise InvalidTransition(f"the application is {application.status}")
    if EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT not in current.evidence:
        raise InvalidTransition(f"stage {current.code} takes no household acknowledgment")
    application.updated_at = env.now  # bumps the row version: a concurrent return wins cleanly
    await record_action(env, application, principal, current.code, "acknowledgment", [evidence])
    await flush_or_conflict(env)
    return application
