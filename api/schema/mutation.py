"""Mutations: one per action of the procedure engine, each a union of success and errors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.db.models import RoleAssignment as AssignmentRow
from api.domain.roles import Role
from api.resolvers.context import Context
from api.schema import inputs as i
from api.schema.changes import (
    AcknowledgeChangeInput,
    AcknowledgeChangePayload,
    AcknowledgeChangeSuccess,
    SyncAnswer,
)
from api.schema.errors import AnyError
from api.schema.evaluations import EvaluationMutations
from api.schema.evidence_files import EvidenceFileMutations
from api.schema.procedures import ExitApplication, ExitList, Objection
from api.schema.register_import import RegisterMutations
from api.schema.running import KEY, run
from api.schema.spot_checks import SpotCheckMutations
from api.schema.types import Household
from api.schema.village_indicators import VillageIndicatorMutations
from api.schema.webhooks import WebhookMutations
from api.services import access, evaluations, exits, sync

Info = strawberry.Info[Context, None]


@strawberry.type
class ProposeExitListSuccess:
    list: ExitList


@strawberry.type
class ApplicationSuccess:
    application: ExitApplication


@strawberry.type
class ObjectionSuccess:
    objection: Objection


@strawberry.type(description="Who holds which role where.")
class RoleAssignment:
    id: int
    subject: str
    role: Role
    jurisdiction: str
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: AssignmentRow) -> RoleAssignment:
        return cls(
            id=row.id,
            subject=row.subject,
            role=row.role,
            jurisdiction=row.jurisdiction_code,
            granted_by=row.granted_by,
            granted_at=row.granted_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type
class RoleAssignmentSuccess:
    assignment: RoleAssignment


@strawberry.type
class HouseholdSuccess:
    household: Household


ProposeExitListPayload = Annotated[
    ProposeExitListSuccess | AnyError, strawberry.union("ProposeExitListPayload")
]
ApplicationPayload = Annotated[
    ApplicationSuccess | AnyError, strawberry.union("ApplicationPayload")
]
ObjectionPayload = Annotated[ObjectionSuccess | AnyError, strawberry.union("ObjectionPayload")]
RoleAssignmentPayload = Annotated[
    RoleAssignmentSuccess | AnyError, strawberry.union("RoleAssignmentPayload")
]
HouseholdPayload = Annotated[HouseholdSuccess | AnyError, strawberry.union("HouseholdPayload")]


def _application(row: Any) -> ApplicationSuccess:
    return ApplicationSuccess(application=ExitApplication.of(row))


def _objection(row: Any) -> ObjectionSuccess:
    return ObjectionSuccess(objection=Objection.of(row))


def _assignment(row: Any) -> RoleAssignmentSuccess:
    return RoleAssignmentSuccess(assignment=RoleAssignment.of(row))


def _proposed(done: Any) -> ProposeExitListSuccess:
    applications = [ExitApplication.of(a) for a in done.applications]
    return ProposeExitListSuccess(list=ExitList(id=done.exit_list.id, applications=applications))


def _app_id(value: relay.GlobalID) -> int:
    return i.node_id(value, "ExitApplication", "applicationId")


@strawberry.type
class Mutation(
    WebhookMutations,
    RegisterMutations,
    SpotCheckMutations,
    EvaluationMutations,
    EvidenceFileMutations,
    VillageIndicatorMutations,
):
    @strawberry.mutation(description="Propose a list (the procedure's first stage).")
    async def propose_exit_list(
        self,
        info: Info,
        input: i.ProposeExitListInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ProposeExitListPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.propose(
                env,
                who,
                kind=input.subject_kind,
                unit_code=input.unit_code,
                year=input.year,
                subjects=input.subjects,
                evidence=i.evidence_of(input.evidence),
            ),
            _proposed,
            name="proposeExitList",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Post the notice of a notice stage; its clock starts now.")
    async def post_notice(
        self,
        info: Info,
        input: i.PostNoticeInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ApplicationPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.post_notice(
                env,
                who,
                application_id=_app_id(input.application_id),
                stage=input.stage,
                evidence=i.evidence_of(input.evidence),
            ),
            _application,
            name="postNotice",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(
        description="Perform a stage: approve (with its evidence), reject, or return."
    )
    async def perform_stage(
        self,
        info: Info,
        input: i.PerformStageInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ApplicationPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.perform(
                env,
                who,
                application_id=_app_id(input.application_id),
                stage=input.stage,
                decision=input.decision,
                evidence=i.evidence_of(input.evidence),
                return_to=input.return_to,
                reason=input.reason,
            ),
            _application,
            name="performStage",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(
        description="Record the household's acknowledgment (认可) ahead of the stage's approval."
    )
    async def record_acknowledgment(
        self,
        info: Info,
        input: i.RecordAcknowledgmentInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ApplicationPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.record_acknowledgment(
                env,
                who,
                application_id=_app_id(input.application_id),
                evidence=input.evidence.to_service(),
            ),
            _application,
            name="recordAcknowledgment",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Integrators: record the national system's answer.")
    async def acknowledge_change(
        self,
        info: Info,
        input: AcknowledgeChangeInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> AcknowledgeChangePayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: sync.acknowledge(
                env, who, position=input.position, accepted=input.accepted, reason=input.reason
            ),
            lambda ack: AcknowledgeChangeSuccess(answer=SyncAnswer.of(ack)),
            name="acknowledgeChange",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Object during a running notice; open to the public.")
    async def raise_objection(
        self,
        info: Info,
        input: i.RaiseObjectionInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ObjectionPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.raise_objection(
                env, who, application_id=_app_id(input.application_id), content=input.content
            ),
            _objection,
            name="raiseObjection",
            key=idempotency_key,
            request=input,
            public=True,
        )

    @strawberry.mutation(description="Resolve an objection: upheld ends the application.")
    async def resolve_objection(
        self,
        info: Info,
        input: i.ResolveObjectionInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ObjectionPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.resolve_objection(
                env,
                who,
                objection_id=i.node_id(input.objection_id, "Objection", "objectionId"),
                upheld=input.upheld,
                resolution=input.resolution,
            ),
            _objection,
            name="resolveObjection",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Grant a role in a unit (audited).")
    async def assign_role(
        self,
        info: Info,
        input: i.AssignRoleInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> RoleAssignmentPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: access.assign_role(
                env.session,
                env.authorizer,
                who,
                subject=input.subject,
                role=input.role,
                jurisdiction=input.jurisdiction,
                now=env.now,
            ),
            _assignment,
            name="assignRole",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Revoke a role assignment (audited; the row is kept).")
    async def revoke_role(
        self,
        info: Info,
        input: i.RevokeRoleInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> RoleAssignmentPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: access.revoke_role(
                env.session, env.authorizer, who, assignment_id=input.assignment_id, now=env.now
            ),
            _assignment,
            name="revokeRole",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Assign a third-party evaluator to one application.")
    async def assign_evaluator(
        self,
        info: Info,
        input: i.AssignEvaluatorInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ApplicationPayload:
        async def work(env: Any, who: Any) -> Any:
            application_id = _app_id(input.application_id)
            await evaluations.assign_evaluator(
                env, who, application_id=application_id, evaluator=input.evaluator
            )
            return await exits.application(env, who, application_id)

        return await run(  # type: ignore[return-value]
            info,
            work,
            _application,
            name="assignEvaluator",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="An assigned evaluator submits its report.")
    async def submit_evaluation(
        self,
        info: Info,
        input: i.SubmitEvaluationInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> ApplicationPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: evaluations.submit_evaluation(
                env,
                who,
                application_id=_app_id(input.application_id),
                report=input.report.to_service(),
            ),
            _application,
            name="submitEvaluation",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Take an exited household found below its line back in.")
    async def return_to_poverty(
        self,
        info: Info,
        input: i.ReturnToPovertyInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> HouseholdPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: exits.return_to_poverty(
                env, who, registry_no=input.registry_no, year=input.year
            ),
            lambda row: HouseholdSuccess(household=Household.of(row)),
            name="returnToPoverty",
            key=idempotency_key,
            request=input,
        )
