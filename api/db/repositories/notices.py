"""Reads of notices: a list's subjects posted at one notice stage on one day.

Unscoped like ``applications.posted_notices``: who may see which notice is decided by
``api/services/notices.py``, which reads through here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ExitApplication, ExitList, Household, ProcedureVersion, StageRecord
from api.db.repositories.jurisdictions import by_codes, village_designations
from api.domain.notices import NoticeKey, Unit
from api.domain.procedures import Decision
from api.domain.register import VillageDesignation

POSTING = "post_notice"
"""The stage-record action of a posting (``api/services/stages.py``)."""
PERFORMING = "perform"
"""The stage-record action of performing a stage (with its decision)."""


async def list_of(session: AsyncSession, list_id: int) -> tuple[ExitList, ProcedureVersion] | None:
    """A list and the procedure version it was proposed under, in one read."""
    row = (
        await session.execute(
            select(ExitList, ProcedureVersion)
            .join(ProcedureVersion, ProcedureVersion.id == ExitList.procedure_version_id)
            .where(ExitList.id == list_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True, slots=True)
class PostedEntry:
    application: ExitApplication
    posted_at: datetime
    head_name: str | None
    villager_group: str | None


async def posted(session: AsyncSession, key: NoticeKey, *, on_approval: bool) -> list[PostedEntry]:
    """What was posted on the notice: one entry per application (its last posting that
    day), by application id.

    ``on_approval``: the stage posts when it is approved (an announcement without a
    period), so its approvals that day are the postings.
    """
    start, end = key.day_bounds()
    posting: ColumnElement[bool] = (
        and_(StageRecord.action == PERFORMING, StageRecord.decision == Decision.APPROVE)
        if on_approval
        else StageRecord.action == POSTING
    )
    rows = await session.execute(
        select(ExitApplication, StageRecord.at, Household.head_name, Household.villager_group)
        .join(StageRecord, StageRecord.application_id == ExitApplication.id)
        .outerjoin(Household, Household.id == ExitApplication.household_id)
        .where(
            ExitApplication.list_id == key.list_id,
            StageRecord.stage == key.stage,
            posting,
            StageRecord.at >= start,
            StageRecord.at < end,
        )
        .order_by(ExitApplication.id, StageRecord.id)
    )
    found: dict[int, PostedEntry] = {}
    for application, at, head, group in rows:
        found[application.id] = PostedEntry(application, at, head, group)  # later wins
    return list(found.values())


async def units(session: AsyncSession, codes: Sequence[str]) -> dict[str, Unit]:
    """The named units of ``codes`` (codes the table does not hold are left out)."""
    rows = await by_codes(session, sorted(set(codes)))
    return {code: Unit(code, row.name) for code, row in rows.items()}


async def village_labels(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, VillageDesignation]:
    rows = await village_designations(session, list(codes))
    return {code: row.designation for code, row in rows.items()}
