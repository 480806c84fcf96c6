"""Third-party evaluation: evaluators act only on the applications assigned to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.policy import Action
from api.db.models import EvaluationAssignment, ExitApplication, RoleAssignment
from api.db.repositories import applications as app_repo
from api.domain.engine import Status
from api.domain.jurisdictions import contains
from api.domain.procedures import EvidenceKind
from api.domain.roles import Principal, Role
from api.errors import InvalidTransition, NotFound, ValidationFailed
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
    application = await env.session.scalar(
        select(ExitApplication)
        .join(EvaluationAssignment, EvaluationAssignment.application_id == ExitApplication.id)
        .where(
            ExitApplication.id == application_id,
            EvaluationAssignment.evaluator == principal.subject,
        )
    )
    if application is None:  # not assigned to this evaluator: not there at all, for it
        raise NotFound("application", str(application_id))
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
