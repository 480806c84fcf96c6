"""Reads of notices: a list's subjects posted at one notice stage on one day.

Unscoped like ``applications.posted_notices``: who may see which notice is decided by
``api/services/notices.py``, which reads through here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ExitApplication, ExitList, Household, StageRecord
from api.db.repositories.jurisdictions import by_codes, village_designations
from api.domain.notices import NoticeKey, Unit
from api.domain.register import VillageDesignation

POSTING = "post_notice"
"""The stage-record action of a posting (``api/services/stages.py``)."""


@dataclass(frozen=True, slots=True)
class PostedEntry:
    application: ExitApplication
    posted_at: datetime
    head_name: str | None
    villager_group: str | None


@dataclass(frozen=True, slots=True)
class PostedList:
    exit_list: ExitList
    entries: list[PostedEntry]
    """One per application posted on the notice (its last posting that day), by id."""


async def posted(session: AsyncSession, key: NoticeKey) -> PostedList | None:
    """The notice's list and what was posted on it, in one read; None if nothing was."""
    start, end = key.day_bounds()
    rows = await session.execute(
        select(
            ExitList, ExitApplication, StageRecord.at, Household.head_name, Household.villager_group
        )
        .join(ExitApplication, ExitApplication.list_id == ExitList.id)
        .join(StageRecord, StageRecord.application_id == ExitApplication.id)
        .outerjoin(Household, Household.id == ExitApplication.household_id)
        .where(
            ExitList.id == key.list_id,
            StageRecord.action == POSTING,
            StageRecord.stage == key.stage,
            StageRecord.at >= start,
            StageRecord.at < end,
        )
        .order_by(ExitApplication.id, StageRecord.id)
    )
    found: dict[int, PostedEntry] = {}
    lists: set[ExitList] = set()
    for exit_list, application, at, head, group in rows:
        lists.add(exit_list)
        found[application.id] = PostedEntry(application, at, head, group)  # later wins
    if not lists:
        return None
    (exit_list,) = lists
    return PostedList(exit_list, list(found.values()))


async def units(session: AsyncSession, codes: Sequence[str]) -> dict[str, Unit]:
    """The named units of ``codes`` (codes the table does not hold are left out)."""
    rows = await by_codes(session, sorted(set(codes)))
    return {code: Unit(code, row.name) for code, row in rows.items()}


async def village_labels(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, VillageDesignation]:
    rows = await village_designations(session, list(codes))
    return {code: row.designation for code, row in rows.items()}
