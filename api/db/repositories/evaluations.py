"""Evaluation assignments and their samples: the reads and writes of 三率一度."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    EvaluationAssignment,
    EvaluationHousehold,
    EvaluationVillage,
    ExitApplication,
)


@dataclass(frozen=True, slots=True)
class VillageSample:
    village: EvaluationVillage
    households: list[EvaluationHousehold]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One evaluator's assignment to an application, with every village it sampled."""

    assignment: EvaluationAssignment
    villages: list[VillageSample]


async def assigned(
    session: AsyncSession, application_id: int, *, evaluator: str
) -> tuple[EvaluationAssignment, ExitApplication] | None:
    """The evaluator's assignment to the application, and the application; None if none."""
    return await _with_application(
        session,
        EvaluationAssignment.application_id == application_id,
        EvaluationAssignment.evaluator == evaluator,
    )


async def assignment(
    session: AsyncSession, assignment_id: int
) -> tuple[EvaluationAssignment, ExitApplication] | None:
    """An assignment by id, and its application; None if none."""
    return await _with_application(session, EvaluationAssignment.id == assignment_id)


async def _with_application(
    session: AsyncSession, *where: ColumnElement[bool]
) -> tuple[EvaluationAssignment, ExitApplication] | None:
    row = (
        await session.execute(
            select(EvaluationAssignment, ExitApplication)
            .join(ExitApplication, ExitApplication.id == EvaluationAssignment.application_id)
            .where(*where)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def for_applications(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Recorded]]:
    """Every assignment of each application (in the order made) with its samples, in
    three statements whatever the number of applications."""
    found: dict[int, list[Recorded]] = {i: [] for i in ids}
    if not ids:
        return found
    assignments = list(
        await session.scalars(
            select(EvaluationAssignment)
            .where(EvaluationAssignment.application_id.in_(ids))
            .order_by(EvaluationAssignment.id)
        )
    )
    samples = await samples_of(session, [a.id for a in assignments])
    for assignment in assignments:
        found[assignment.application_id].append(Recorded(assignment, samples[assignment.id]))
    return found


async def samples_of(
    session: AsyncSession, assignment_ids: Sequence[int]
) -> dict[int, list[VillageSample]]:
    found: dict[int, list[VillageSample]] = {i: [] for i in assignment_ids}
    if not assignment_ids:
        return found
    villages = list(
        await session.scalars(
            select(EvaluationVillage)
            .where(EvaluationVillage.assignment_id.in_(assignment_ids))
            .order_by(EvaluationVillage.village_code)
        )
    )
    households: dict[int, list[EvaluationHousehold]] = {v.id: [] for v in villages}
    if villages:
        rows = await session.scalars(
            select(EvaluationHousehold)
            .where(EvaluationHousehold.village_sample_id.in_(list(households)))
            .order_by(EvaluationHousehold.village_sample_id, EvaluationHousehold.survey_no)
        )
        for row in rows:
            households[row.village_sample_id].append(row)
    for village in villages:
        found[village.assignment_id].append(VillageSample(village, households[village.id]))
    return found


async def remove_village(session: AsyncSession, *, assignment_id: int, village_code: str) -> bool:
    """Delete a sampled village and its households; False if it was not recorded."""
    sample = await session.scalar(
        select(EvaluationVillage.id).where(
            EvaluationVillage.assignment_id == assignment_id,
            EvaluationVillage.village_code == village_code,
        )
    )
    if sample is None:
        return False
    await session.execute(
        delete(EvaluationHousehold).where(EvaluationHousehold.village_sample_id == sample)
    )
    await session.execute(delete(EvaluationVillage).where(EvaluationVillage.id == sample))
    return True


async def replace_village(
    session: AsyncSession,
    *,
    assignment_id: int,
    village_code: str,
    rural_population: int,
    households: Sequence[dict[str, Any]],
    now: datetime,
) -> EvaluationVillage:
    """Record a sampled village and its households, replacing what was recorded of it."""
    await remove_village(session, assignment_id=assignment_id, village_code=village_code)
    village = EvaluationVillage(
        assignment_id=assignment_id,
        village_code=village_code,
        rural_population=rural_population,
        recorded_at=now,
    )
    session.add(village)
    await session.flush()
    session.add_all(EvaluationHousehold(village_sample_id=village.id, **h) for h in households)
    return village
