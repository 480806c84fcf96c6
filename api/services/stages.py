"""Performing stages: posting notices, approving, rejecting, returning, and attaching the
household's acknowledgment ahead of approval.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.policy import Action, stage_object
from api.db.models import (
    ExitApplication,
)
from api.domain import engine
from api.domain.engine import Status
from api.domain.procedures import (
    Decision,
    EvidenceKind,
    Stage,
)
from api.domain.roles import Principal
from api.errors import (
    InvalidTransition,
    ValidationFailed,
)
from api.services import access, spot_checks
from api.services.effects import apply_effects
from api.services.proposals import still_meets
from api.services.workflow import (
    ATTACH_ONLY,
    Env,
    EvidenceInput,
    Step,
    apply_state,
    check_evidence,
    flush_or_conflict,
    load_step,
    record_action,
    step_session,
)


async def _authorize_at(
    env: Env,
    session: AsyncSession,
    principal: Principal,
    step: Step,
    current: Stage,
    action: Action,
) -> None:
    """The principal may take ``action`` at stage ``current`` of the step's application."""
    application = step.application
    await access.authorize(
        session,
        env.authorizer,
        principal,
        domain=application.unit_code,
        obj=stage_object(
            step.procedure, application.subject_kind, current, application.designation
        ),
        action=action,
        known_version=step.policy_version,
    )


async def post_notice(
    env: Env,
    principal: Principal,
    *,
    application_id: int,
    stage: str,
    evidence: Sequence[EvidenceInput],
) -> ExitApplication:
    check_evidence(evidence)
    async with step_session(env) as session:
        step = await load_step(env, principal, application_id, session=session)
        application, flow = step.application, step.flow
        current = flow.stages[flow.index_of(stage)]
        await _authorize_at(env, session, principal, step, current, Action.POST_NOTICE)
        new = engine.post_notice(
            flow,
            step.state(),
            stage=stage,
            evidence=frozenset(e.kind for e in evidence),
            now=env.now,
        )
        apply_state(env, application, new)
        await record_action(
            env, application, principal, stage, "post_notice", evidence, session=session
        )
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
    async with step_session(env) as session:
        step = await load_step(env, principal, application_id, session=session)
        application, flow = step.application, step.flow
        current = flow.stages[flow.index_of(stage)]
        await _authorize_at(env, session, principal, step, current, Action.PERFORM)
        if any(item.kind in ATTACH_ONLY for item in evidence):
            raise ValidationFailed(
                "an evaluation_report comes from an assigned third-party evaluator "
                "(submitEvaluation), not from the stage's performer",
                path=("evidence",),
            )
        recorded_checks = flow.spot_check_returns_to is not None  # older snapshots: typed in
        if recorded_checks and any(
            item.kind is EvidenceKind.SPOT_CHECK_RECORD for item in evidence
        ):
            raise ValidationFailed(
                "a spot_check_record is cited from a recorded spot check (drawSpotCheck, "
                "recordSpotCheckFindings), not given by the stage's performer",
                path=("evidence",),
            )
        if decision is Decision.APPROVE and stage == flow.stages[0].code:
            await still_meets(env, application, flow)
        cited: list[EvidenceInput] = []
        state = step.state()
        if (
            decision is Decision.APPROVE
            and recorded_checks
            and current.needs_spot_check
            and state.stage == stage
            and state.status is Status.IN_PROGRESS
        ):
            cited = [await spot_checks.covering_record(session, step, current)]
        evidence = [*evidence, *cited]
        outcome = engine.perform(
            flow,
            state,
            stage=stage,
            actor=principal.subject,
            decision=decision,
            evidence=frozenset(e.kind for e in evidence) | step.attached(stage),
            now=env.now,
            return_to=return_to,
            reason=reason,
        )
        apply_state(env, application, outcome.state)
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
            # Effects write more rows, which must commit with the step: in env.session.
            session=env.session if outcome.effects else session,
        )
        await apply_effects(env, application, outcome.effects)
        await flush_or_conflict(env)
        return application


# ---------------------------------------------------------------- objections


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
    async with step_session(env) as session:
        step = await load_step(env, principal, application_id, session=session)
        application, flow = step.application, step.flow
        current = flow.stages[flow.index_of(application.stage)]
        await _authorize_at(env, session, principal, step, current, Action.PERFORM)
        if application.status is not Status.IN_PROGRESS:
            raise InvalidTransition(f"the application is {application.status}")
        if EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT not in current.evidence:
            raise InvalidTransition(f"stage {current.code} takes no household acknowledgment")
        application.updated_at = env.now  # bumps the row version: a concurrent return wins
        await record_action(
            env,
            application,
            principal,
            current.code,
            "acknowledgment",
            [evidence],
            session=session,
        )
        await flush_or_conflict(env)
        return application
