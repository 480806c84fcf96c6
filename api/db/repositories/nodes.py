"""Loading any entity by id for ``node(id:)``, scoped through the unit it belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    Assessment,
    AuditEvent,
    ExitApplication,
    ExitPlan,
    Household,
    IncomeRecord,
    Member,
    PovertyStandard,
    StageRecord,
)
from api.db.repositories.scoping import in_scope
from api.domain.jurisdictions import Scope

_VIA_HOUSEHOLD = (Member, IncomeRecord, Assessment)


async def scoped_by_ids(
    session: AsyncSession, model: Any, ids: Sequence[int], *, scope: Scope
) -> dict[int, Any]:
    """Rows of ``model`` with these ids whose unit lies in ``scope``."""
    query = select(model).where(model.id.in_(ids))
    if model in _VIA_HOUSEHOLD:
        query = query.join(Household, Household.id == model.household_id).where(
            in_scope(Household.village_code, scope)
        )
    elif model is StageRecord:
        query = query.join(ExitApplication, ExitApplication.id == model.application_id).where(
            in_scope(ExitApplication.unit_code, scope)
        )
    elif model is AuditEvent:
        query = query.where(in_scope(AuditEvent.unit_code, scope))
    elif model is ExitPlan:
        query = query.where(in_scope(ExitPlan.jurisdiction_code, scope))
    elif model is not PovertyStandard:  # poverty lines are public policy
        raise TypeError(f"no scoping rule for {model.__name__}")
    rows = await session.scalars(query)
    return {row.id: row for row in rows}
