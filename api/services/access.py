"""Role assignments (audited) and the authorization check every action makes.

A token names one holding (role and jurisdiction); it counts only while the
database says the subject holds it. The Authorizer is told about the holding
on first use and forgets it when the stored policy version moves, which every
role change does, so every worker sees every change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer, Holding
from api.authz.policy import Action
from api.db.models import Jurisdiction, PolicyState, RoleAssignment
from api.domain.roles import Principal, Role, check_holding
from api.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from api.services import ledger


def acting_key(principal: Principal) -> str:
    """The Casbin user for one holding: a person acting under one role in one unit."""
    return f"{principal.subject}|{principal.role}|{principal.jurisdiction}"


_POLICY_VERSION = select(PolicyState.version).where(PolicyState.id == 1)
"""Built once: it runs on every request (api/db/statements.py says why that matters)."""


async def policy_version(session: AsyncSession) -> int:
    version = await session.scalar(_POLICY_VERSION)
    return int(version or 0)


def recorded_as_known(authorizer: Authorizer, principal: Principal) -> bool | None:
    """``recorded(..., read_only=True)`` when it would read nothing (the policy watch
    runs and the holding is loaded); None when it must read."""
    key = acting_key(principal)
    if authorizer.watched and authorizer.is_loaded(key):
        return authorizer.holds_any(key)
    return None


async def recorded(
    session: AsyncSession,
    authorizer: Authorizer,
    principal: Principal,
    *,
    known_version: int | None = None,
    read_only: bool = False,
) -> bool:
    """Whether the token's holding is recorded and not revoked (cached per policy version).

    ``known_version`` is the policy version when the caller has just read it in the same
    transaction (with the subject acted on), which saves reading it again. For a request
    that only reads (``read_only``), while the policy watch runs (PostgreSQL), the version
    it was told is taken as current and nothing is read; a write always checks the stored
    version in its own transaction.
    """
    if known_version is not None:
        authorizer.sync(known_version)
    elif not (read_only and authorizer.watched):
        authorizer.sync(await policy_version(session))
    key = acting_key(principal)
    if not authorizer.is_loaded(key):
        held = await session.scalar(
            select(RoleAssignment.id)
            .where(
                RoleAssignment.subject == principal.subject,
                RoleAssignment.role == principal.role,
                RoleAssignment.jurisdiction_code == principal.jurisdiction,
                RoleAssignment.revoked_at.is_(None),
            )
            .limit(1)
        )
        holdings = [] if held is None else [Holding(principal.role, principal.jurisdiction)]
        authorizer.load(key, holdings)
    return authorizer.holds_any(key)


async def authorize(
    session: AsyncSession,
    authorizer: Authorizer,
    principal: Principal,
    *,
    domain: str,
    obj: str,
    action: Action,
    known_version: int | None = None,
) -> None:
    """Raise NotPermitted unless the principal's recorded holding allows ``action`` on ``obj``.

    ``domain`` is the division code of the subject acted on; ``known_version`` as for
    ``recorded``.
    """
    await recorded(session, authorizer, principal, known_version=known_version)
    if not authorizer.allows(acting_key(principal), domain, obj, action):
        raise NotPermitted(
            f"{principal.role} in {principal.jurisdiction or 'the country'} may not {action} "
            f"{obj} for {domain}"
        )


async def authorize_reading(
    session: AsyncSession, authorizer: Authorizer, principal: Principal, obj: str
) -> None:
    """Raise NotPermitted unless the principal's role reads ``obj`` where it is held; the
    read itself is then scoped to the principal's jurisdiction in SQL."""
    await authorize(
        session, authorizer, principal, domain=principal.jurisdiction, obj=obj, action=Action.READ
    )


async def assign_role(
    session: AsyncSession,
    authorizer: Authorizer,
    principal: Principal,
    *,
    subject: str,
    role: Role,
    jurisdiction: str,
    now: datetime,
) -> RoleAssignment:
    if not subject.strip() or "|" in subject or len(subject) > 100:
        raise ValidationFailed(
            "a subject is a non-empty id of at most 100 characters without '|'",
            path=("subject",),
        )
    check_holding(role, jurisdiction)
    if jurisdiction and await session.get(Jurisdiction, jurisdiction) is None:
        raise NotFound("jurisdiction", jurisdiction)
    await authorize(
        session,
        authorizer,
        principal,
        domain=jurisdiction,
        obj=f"roles/{role}",
        action=Action.ASSIGN,
    )
    held = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.subject == subject,
            RoleAssignment.role == role,
            RoleAssignment.jurisdiction_code == jurisdiction,
            RoleAssignment.revoked_at.is_(None),
        )
    )
    if held is not None:
        raise InvalidTransition(f"{subject} already holds {role} in {jurisdiction or 'China'}")
    assignment = RoleAssignment(
        subject=subject,
        role=role,
        jurisdiction_code=jurisdiction,
        granted_by=principal.subject,
        granted_at=now,
    )
    session.add(assignment)
    await session.flush()
    await _bump(session, authorizer)
    await ledger.append(
        session,
        actor=principal,
        action="assign_role",
        object_kind="role_assignment",
        object_id=assignment.id,
        unit_code=jurisdiction,
        at=now,
        detail={"subject": subject, "role": role.value},
    )
    return assignment


async def revoke_role(
    session: AsyncSession,
    authorizer: Authorizer,
    principal: Principal,
    *,
    assignment_id: int,
    now: datetime,
) -> RoleAssignment:
    assignment = await session.get(RoleAssignment, assignment_id)
    if assignment is None or not principal.read_scope().covers(assignment.jurisdiction_code):
        raise NotFound("role assignment", str(assignment_id))
    if assignment.revoked_at is not None:
        raise ValidationFailed("the role assignment is already revoked", path=("assignmentId",))
    await authorize(
        session,
        authorizer,
        principal,
        domain=assignment.jurisdiction_code,
        obj=f"roles/{assignment.role}",
        action=Action.ASSIGN,
    )
    assignment.revoked_at = now
    assignment.revoked_by = principal.subject
    await session.flush()
    await _bump(session, authorizer)
    await ledger.append(
        session,
        actor=principal,
        action="revoke_role",
        object_kind="role_assignment",
        object_id=assignment.id,
        unit_code=assignment.jurisdiction_code,
        at=now,
        detail={"subject": assignment.subject, "role": assignment.role.value},
    )
    return assignment


async def grant_bootstrap(
    session: AsyncSession, *, subject: str, role: Role, jurisdiction: str, now: datetime
) -> RoleAssignment:
    """Seed a holding without an assigner (demo data and first installation only)."""
    check_holding(role, jurisdiction)
    assignment = RoleAssignment(
        subject=subject,
        role=role,
        jurisdiction_code=jurisdiction,
        granted_by="bootstrap",
        granted_at=now,
    )
    session.add(assignment)
    await session.flush()
    await _bump(session)
    await ledger.append(
        session,
        actor="bootstrap",
        action="bootstrap_role",
        object_kind="role_assignment",
        object_id=assignment.id,
        unit_code=jurisdiction,
        at=now,
        detail={"subject": subject, "role": role.value},
    )
    return assignment


async def _bump(session: AsyncSession, authorizer: Authorizer | None = None) -> None:
    """Move the stored policy version; every process forgets what it cached.

    This process stops trusting its watch until the watch hears of the new version, so
    its next requests read the version themselves (and see the change once committed).
    """
    if authorizer is not None:
        authorizer.watched = False
    # On PostgreSQL a trigger announces the new version at commit (migration 0008).
    await session.execute(
        update(PolicyState).where(PolicyState.id == 1).values(version=PolicyState.version + 1)
    )
