"""Mutations: one per action of the procedure engine, each a union of success and errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from api.db.models import RoleAssignment as AssignmentRow
from api.domain.roles import Principal, Role
from api.errors import TuopinError
from api.resolvers.context import Context
from api.schema import changes as change_schema
from api.schema import inputs as i
from api.schema.changes import AcknowledgeChangeInput, AcknowledgeChangePayload
from api.schema.errors import (
    ANONYMOUS,
    ConflictError,
    Error,
    InvalidTransitionError,
    NotFoundError,
    NoticePeriodNotElapsedError,
    NotPermittedError,
    StandardNotMetError,
    ValidationFailedError,
    error_of,
)
from api.schema.procedures import ExitApplication, ExitList, Objection
from api.schema.types import Household
from api.services import access, evaluations, exits
from api.services.exits import Env

Info = strawberry.Info[Context, None]
R = TypeVar("R")
S = TypeVar("S")


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


_E = (
    NotFoundError
    | NotPermittedError
    | InvalidTransitionError
    | NoticePeriodNotElapsedError
    | StandardNotMetError
    | ConflictError
    | ValidationFailedError
)
ProposeExitListPayload = Annotated[
    ProposeExitListSuccess | _E, strawberry.union("ProposeExitListPayload")
]
ApplicationPayload = Annotated[ApplicationSuccess | _E, strawberry.union("ApplicationPayload")]
ObjectionPayload = Annotated[ObjectionSuccess | _E, strawberry.union("ObjectionPayload")]
RoleAssignmentPayload = Annotated[
    RoleAssignmentSuccess | _E, strawberry.union("RoleAssignmentPayload")
]
HouseholdPayload = Annotated[HouseholdSuccess | _E, strawberry.union("HouseholdPayload")]


async def _run(
    info: Info,
    work: Callable[[Env, Principal], Awaitable[R]],
    wrap: Callable[[R], S],
    *,
    public: bool = False,
) -> S | Error:
    """Run one use case in its own transaction; expected errors become payloads."""
    principal = info.context.principal
    if principal is None and not public:
        return ANONYMOUS
    try:
        result = await info.context.write(lambda env: work(env, principal))  # type: ignore[arg-type]
    except TuopinError as exc:
        return error_of(exc)
    return wrap(result)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Propose a list (the procedure's first stage).")
    async def propose_exit_list(
        self, info: Info, input: i.ProposeExitListInput
    ) -> ProposeExitListPayload:
        async def work(env: Env, who: Principal) -> exits.ProposedList:
            return await exits.propose(
                env,
                who,
                kind=input.subject_kind,
                unit_code=input.unit_code,
                year=input.year,
                subjects=input.subjects,
                evidence=i.evidence_of(input.evidence),
            )

        return await _run(
            info,
            work,
            lambda done: ProposeExitListSuccess(
                list=ExitList(
                    id=done.exit_list.id,
                    applications=[ExitApplication.of(a) for a in done.applications],
                )
            ),
        )  # type: ignore[return-value]

    @strawberry.mutation(description="Post the notice of a notice stage; its clock starts now.")
    async def post_notice(self, info: Info, input: i.PostNoticeInput) -> ApplicationPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await exits.post_notice(
                env,
                who,
                application_id=i.node_id(input.application_id, "ExitApplication", "applicationId"),
                stage=input.stage,
                evidence=i.evidence_of(input.evidence),
            )

        return await _run(info, work, _application)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Perform a stage: approve (with its evidence), reject, or return."
    )
    async def perform_stage(self, info: Info, input: i.PerformStageInput) -> ApplicationPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await exits.perform(
                env,
                who,
                application_id=i.node_id(input.application_id, "ExitApplication", "applicationId"),
                stage=input.stage,
                decision=input.decision,
                evidence=i.evidence_of(input.evidence),
                return_to=input.return_to,
                reason=input.reason,
            )

        return await _run(info, work, _application)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Record the household's acknowledgment (认可) ahead of the stage's approval."
    )
    async def record_acknowledgment(
        self, info: Info, input: i.RecordAcknowledgmentInput
    ) -> ApplicationPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await exits.record_acknowledgment(
                env,
                who,
                application_id=i.node_id(input.application_id, "ExitApplication", "applicationId"),
                evidence=input.evidence.to_service(),
            )

        return await _run(info, work, _application)  # type: ignore[return-value]

    @strawberry.mutation(description="Integrators: record the national system's answer.")
    async def acknowledge_change(
        self, info: Info, input: AcknowledgeChangeInput
    ) -> AcknowledgeChangePayload:
        return await change_schema.acknowledge(info, input)  # type: ignore[return-value]

    @strawberry.mutation(description="Object during a running notice; open to the public.")
    async def raise_objection(self, info: Info, input: i.RaiseObjectionInput) -> ObjectionPayload:
        async def work(env: Env, who: Principal | None):  # type: ignore[no-untyped-def]
            return await exits.raise_objection(
                env,
                who,
                application_id=i.node_id(input.application_id, "ExitApplication", "applicationId"),
                content=input.content,
            )

        return await _run(info, work, _objection, public=True)  # type: ignore[return-value]

    @strawberry.mutation(description="Resolve an objection: upheld ends the application.")
    async def resolve_objection(
        self, info: Info, input: i.ResolveObjectionInput
    ) -> ObjectionPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await exits.resolve_objection(
                env,
                who,
                objection_id=i.node_id(input.objection_id, "Objection", "objectionId"),
                upheld=input.upheld,
                resolution=input.resolution,
            )

        return await _run(info, work, _objection)  # type: ignore[return-value]

    @strawberry.mutation(description="Grant a role in a unit (audited).")
    async def assign_role(self, info: Info, input: i.AssignRoleInput) -> RoleAssignmentPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await access.assign_role(
                env.session,
                env.authorizer,
                who,
                subject=input.subject,
                role=input.role,
                jurisdiction=input.jurisdiction,
                now=env.now,
            )

        return await _run(info, work, _assignment)  # type: ignore[return-value]

    @strawberry.mutation(description="Revoke a role assignment (audited; the row is kept).")
    async def revoke_role(self, info: Info, input: i.RevokeRoleInput) -> RoleAssignmentPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await access.revoke_role(
                env.session, env.authorizer, who, assignment_id=input.assignment_id, now=env.now
            )

        return await _run(info, work, _assignment)  # type: ignore[return-value]

    @strawberry.mutation(description="Assign a third-party evaluator to one application.")
    async def assign_evaluator(
        self, info: Info, input: i.AssignEvaluatorInput
    ) -> ApplicationPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            application_id = i.node_id(input.application_id, "ExitApplication", "applicationId")
            await evaluations.assign_evaluator(
                env, who, application_id=application_id, evaluator=input.evaluator
            )
            return await exits.application(env, who, application_id)

        return await _run(info, work, _application)  # type: ignore[return-value]

    @strawberry.mutation(description="An assigned evaluator submits its report.")
    async def submit_evaluation(
        self, info: Info, input: i.SubmitEvaluationInput
    ) -> ApplicationPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await evaluations.submit_evaluation(
                env,
                who,
                application_id=i.node_id(input.application_id, "ExitApplication", "applicationId"),
                report=input.report.to_service(),
            )

        return await _run(info, work, _application)  # type: ignore[return-value]

    @strawberry.mutation(description="Take an exited household found below its line back in.")
    async def return_to_poverty(
        self, info: Info, input: i.ReturnToPovertyInput
    ) -> HouseholdPayload:
        async def work(env: Env, who: Principal):  # type: ignore[no-untyped-def]
            return await exits.return_to_poverty(
                env, who, registry_no=input.registry_no, year=input.year
            )

        return await _run(info, work, lambda h: HouseholdSuccess(household=Household.of(h)))  # type: ignore[return-value]


def _application(row):  # type: ignore[no-untyped-def]
    return ApplicationSuccess(application=ExitApplication.of(row))


def _objection(row):  # type: ignore[no-untyped-def]
    return ObjectionSuccess(objection=Objection.of(row))


def _assignment(row):  # type: ignore[no-untyped-def]
    return RoleAssignmentSuccess(assignment=RoleAssignment.of(row))
