"""Objections (异议): raised while a notice runs (by anyone), resolved with a record."""

from __future__ import annotations

from api.authz.policy import Action, stage_object
from api.db import chain
from api.db.models import (
    Objection,
    StageRecord,
)
from api.db.repositories import applications as app_repo
from api.domain import engine
from api.domain.roles import Principal
from api.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from api.services import access, ledger, outbox
from api.services.workflow import (
    Env,
    apply_state,
    current_state,
    flush_or_conflict,
    procedure_of,
)


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
    new = engine.raise_objection(flow, await current_state(env, application), now=env.now)
    objection = Objection(
        application_id=application.id,
        stage=noticed,
        content=content,
        raised_by=principal.subject if principal else None,
        raised_at=env.now,
    )
    env.session.add(objection)
    apply_state(env, application, new)
    record = StageRecord(
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
    env.session.add(record)
    chain.note_row(env.session, "objection", objection)
    chain.note_stage_record(env.session, record)
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
    new = engine.resolve_objection(await current_state(env, application), upheld=upheld)
    objection.outcome = "upheld" if upheld else "dismissed"
    objection.resolution = resolution.strip()
    objection.resolved_by = principal.subject
    objection.resolved_at = env.now
    apply_state(env, application, new)
    record = StageRecord(
        application_id=application.id,
        stage=application.stage,
        action="resolve_objection",
        reason=objection.resolution,
        actor_subject=principal.subject,
        actor_role=str(principal.role),
        actor_jurisdiction=principal.jurisdiction,
        at=env.now,
    )
    env.session.add(record)
    chain.note_row(env.session, "objection_resolution", objection)
    chain.note_stage_record(env.session, record)
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
