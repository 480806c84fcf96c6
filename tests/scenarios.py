"""Helpers for driving procedures through the services in tests."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.db import models
from api.db.models import ExitApplication
from api.db.repositories import applications
from api.domain.procedures import Decision, EvidenceKind, SubjectProcedure
from api.domain.register import ExitAttribute
from api.domain.roles import Principal, Role
from api.domain.spot_checks import Basis, Result
from api.policy_files import standards
from api.procedure_files import ProcedureBook, book
from api.services import access, evaluations, exits, registry, spot_checks
from api.services.exits import Env, EvidenceInput

T0 = datetime(2016, 11, 1, 9, 0, tzinfo=UTC)


def env(session: AsyncSession, *, procedures: ProcedureBook | None = None) -> Env:
    return Env(
        session=session,
        authorizer=Authorizer(),
        book=procedures or book(),
        standards=standards(),
        now=T0,
    )


def later(e: Env, **delta: float) -> Env:
    return replace(e, now=e.now + timedelta(**delta))


def evidence(*kinds: EvidenceKind | str) -> list[EvidenceInput]:
    return [
        EvidenceInput(EvidenceKind(k), f"doc/{k}.pdf", hashlib.sha256(str(k).encode()).hexdigest())
        for k in kinds
    ]


async def official(session: AsyncSession, role: Role, code: str, name: str = "") -> Principal:
    """A principal whose holding is recorded in the database."""
    subject = name or f"{role}@{code or 'national'}"
    await access.grant_bootstrap(session, subject=subject, role=role, jurisdiction=code, now=T0)
    return Principal(subject=subject, role=role, jurisdiction=code)


class Cast:
    """Two officials per role per unit, so successive stages can be separated."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._made: dict[tuple[Role, str], list[Principal]] = {}

    async def pick(self, role: Role, code: str, *, not_: str | None = None) -> Principal:
        key = (role, code)
        if key not in self._made:
            self._made[key] = [
                await official(self._session, role, code, f"{role}-{n}@{code or 'cn'}")
                for n in (1, 2)
            ]
        return next(p for p in self._made[key] if p.subject != not_)


def holding_unit(role: Role, unit: str) -> str:
    from api.domain.jurisdictions import CODE_LENGTHS
    from api.domain.roles import ROLES, Tier

    info = ROLES[role]
    if info.tier is Tier.NATIONAL:
        return ""
    assert info.level is not None
    return unit[: CODE_LENGTHS[info.level]]


async def walk(
    e: Env,
    cast: Cast,
    application: ExitApplication,
    flow: SubjectProcedure,
    *,
    until: str | None = None,
) -> Env:
    """Drive an application from where it stands to its end (or to stage ``until``)."""
    evaluated: list[str] = []
    while application.status is exits.Status.IN_PROGRESS and application.stage != until:
        index = flow.index_of(application.stage)
        stage = flow.stages[index]
        done = await applications.performers(e.session, application.id)
        last = done.get(flow.stages[index - 1].code) if index else None
        role = stage.roles_for(application.designation)[0]
        actor = await cast.pick(role, holding_unit(role, application.unit_code), not_=last)
        kinds = [k for k in stage.evidence if k is not EvidenceKind.EVALUATION_REPORT]
        if stage.needs_spot_check:
            kinds.remove(EvidenceKind.SPOT_CHECK_RECORD)
            await spot_check_passing(e, actor, application)
        if EvidenceKind.EVALUATION_REPORT in stage.evidence:
            evaluator = await cast.pick(
                Role.THIRD_PARTY_EVALUATOR,
                application.unit_code[:2],
                not_=evaluated[-1] if evaluated else None,
            )
            await evaluations.assign_evaluator(
                e, actor, application_id=application.id, evaluator=evaluator.subject
            )
            await evaluations.submit_evaluation(
                e,
                evaluator,
                application_id=application.id,
                report=evidence(EvidenceKind.EVALUATION_REPORT)[0],
            )
            evaluated.append(evaluator.subject)
        if stage.is_notice:
            await exits.post_notice(
                e,
                actor,
                application_id=application.id,
                stage=stage.code,
                evidence=evidence(EvidenceKind.NOTICE_POSTING),
            )
            assert stage.notice_days is not None
            e = later(e, days=stage.notice_days)
            kinds = [k for k in kinds if k is not EvidenceKind.NOTICE_POSTING]
        await exits.perform(
            e,
            actor,
            application_id=application.id,
            stage=stage.code,
            decision=Decision.APPROVE,
            evidence=evidence(*kinds),
        )
        e = later(e, days=1)
    return e


async def spot_check_passing(e: Env, actor: Principal, application: ExitApplication) -> int:
    """Draw a spot check of the applications waiting with ``application`` (its unit) and
    record every sampled one as passed; the spot check's id."""
    drawn = await spot_checks.draw(
        e,
        actor,
        kind=application.subject_kind,
        basis=Basis.AWAITING_REVIEW,
        unit_code=application.unit_code,
        year=application.year,
        count=1,
        seed=f"walk-{application.id}",
    )
    sample = (await spot_checks.samples(e.session, [drawn.id]))[drawn.id]
    await spot_checks.record_findings(
        e,
        actor,
        spot_check_id=drawn.id,
        findings=[passed(row.subject_key) for row in sample],
    )
    return drawn.id


def document(name: str) -> spot_checks.Document:
    return spot_checks.Document(f"doc/{name}.pdf", hashlib.sha256(name.encode()).hexdigest())


def passed(key: str) -> spot_checks.FindingInput:
    return spot_checks.FindingInput(key, Result.PASSED, (), [document(f"入户核查-{key}")])


def failed(key: str, *criteria: str, note: str | None = None) -> spot_checks.FindingInput:
    return spot_checks.FindingInput(
        key, Result.FAILED, criteria, [document(f"入户核查-{key}")], note=note
    )


async def household_village(session: AsyncSession, under: str = "230231101") -> str:
    """A village under ``under`` with at least two households that meet the standard."""
    villages = list(
        (
            await session.execute(
                select(models.Jurisdiction.code)
                .where(
                    models.Jurisdiction.code.startswith(under),
                    func.length(models.Jurisdiction.code) == 12,
                )
                .order_by(models.Jurisdiction.code)
            )
        ).scalars()
    )
    for candidate in villages:
        rows = (
            (
                await session.execute(
                    select(models.Household).where(
                        models.Household.village_code == candidate,
                        models.Household.exit_attribute == ExitAttribute.NOT_EXITED,
                    )
                )
            )
            .scalars()
            .all()
        )
        checks = await registry.check_households(session, rows, year=2016, policy=standards())
        if sum(checks[h.id].met for h in rows) >= 2:
            return candidate
    raise AssertionError(f"no village under {under} has two eligible households")
