"""Proposing a list: each subject must be visible, authorized, in the registered poor
population or designated, without an open application, and meet its standard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from api.authz.policy import Action, stage_object
from api.db.models import (
    CountyDesignationRow,
    ExitApplication,
    ExitList,
    Household,
    VillageDesignationRow,
)
from api.db.repositories import applications as app_repo
from api.db.repositories.scoping import in_scope, in_subtree
from api.domain import engine
from api.domain.engine import Status
from api.domain.jurisdictions import Level, Scope, level_of, validate_code
from api.domain.procedures import (
    Check,
    Decision,
    SubjectProcedure,
)
from api.domain.register import CountyDesignation, ExitAttribute, SubjectKind
from api.domain.roles import Principal
from api.domain.standards import Criterion, StandardCheck, check_facilities, combine
from api.errors import (
    InvalidTransition,
    NotFound,
    StandardNotMet,
    ValidationFailed,
)
from api.services import access, registry, statistics
from api.services.effects import apply_effects
from api.services.workflow import (
    Env,
    EvidenceInput,
    check_evidence,
    china_today,
    flush_or_conflict,
    record_action,
    version_row,
)

_SUBJECT_LEVEL = {
    SubjectKind.HOUSEHOLD: None,
    SubjectKind.VILLAGE: Level.VILLAGE,
    SubjectKind.COUNTY: Level.COUNTY,
}


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
    version = await version_row(env, procedure)
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
        await apply_effects(env, application, outcome.effects)
        made.append(application)
    await flush_or_conflict(env)
    await statistics.proposed(env.session, [(kind, a.unit_code, year) for a in made])
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


async def still_meets(env: Env, application: ExitApplication, flow: SubjectProcedure) -> None:
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
