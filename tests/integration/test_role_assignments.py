"""Role assignments: who may grant what where, audited, and seen by every worker."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.authz.policy import Action
from api.db import models
from api.domain.roles import Principal, Role
from api.errors import NotFound, NotPermitted, ValidationFailed
from api.services import access
from tests.scenarios import T0, official

VILLAGE = "230231101200"
OBJ = "heilongjiang/household/appraisal"


async def test_a_county_group_assigns_village_roles_inside_its_county_only(
    session: AsyncSession,
) -> None:
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    township = await official(session, Role.TOWNSHIP_GOVERNMENT, VILLAGE[:9])
    other_county = await official(session, Role.COUNTY_LEADING_GROUP, "230223")
    authorizer = Authorizer()
    args = {
        "subject": "zhang.san",
        "role": Role.VILLAGE_COMMITTEES,
        "jurisdiction": VILLAGE,
        "now": T0,
    }
    with pytest.raises(NotPermitted):  # wrong role
        await access.assign_role(session, authorizer, township, **args)  # type: ignore[arg-type]
    with pytest.raises(NotPermitted):  # another county
        await access.assign_role(session, authorizer, other_county, **args)  # type: ignore[arg-type]
    granted = await access.assign_role(session, authorizer, county, **args)  # type: ignore[arg-type]
    assert granted.granted_by == county.subject
    with pytest.raises(ValidationFailed, match="held in a village unit"):
        await access.assign_role(
            session,
            authorizer,
            county,
            subject="li.si",
            role=Role.VILLAGE_COMMITTEES,
            jurisdiction="230231",
            now=T0,
        )
    with pytest.raises(NotFound):
        await access.assign_role(
            session,
            authorizer,
            county,
            subject="li.si",
            role=Role.VILLAGE_COMMITTEES,
            jurisdiction="230231999999",
            now=T0,
        )
    events = (
        (
            await session.execute(
                select(models.AuditEvent).where(
                    models.AuditEvent.object_kind == "role_assignment",
                    models.AuditEvent.object_id == str(granted.id),
                )
            )
        )
        .scalars()
        .all()
    )
    assert [(e.action, e.actor_subject) for e in events] == [("assign_role", county.subject)]


async def test_a_change_made_in_one_worker_reaches_another(session: AsyncSession) -> None:
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    newcomer = Principal("wang.wu", Role.VILLAGE_COMMITTEES, VILLAGE)
    worker_a, worker_b = Authorizer(), Authorizer()

    async def may(worker: Authorizer) -> bool:
        try:
            await access.authorize(
                session, worker, newcomer, domain=VILLAGE, obj=OBJ, action=Action.PERFORM
            )
        except NotPermitted:
            return False
        return True

    assert not await may(worker_b)  # cached as denied in worker B
    granted = await access.assign_role(
        session,
        worker_a,
        county,
        subject="wang.wu",
        role=Role.VILLAGE_COMMITTEES,
        jurisdiction=VILLAGE,
        now=T0,
    )
    assert await may(worker_b)
    outsider = await official(session, Role.COUNTY_LEADING_GROUP, "371302")
    with pytest.raises(NotFound):
        await access.revoke_role(session, worker_a, outsider, assignment_id=granted.id, now=T0)
    await access.revoke_role(session, worker_a, county, assignment_id=granted.id, now=T0)
    assert not await may(worker_b)
    with pytest.raises(ValidationFailed, match="already revoked"):
        await access.revoke_role(session, worker_a, county, assignment_id=granted.id, now=T0)
