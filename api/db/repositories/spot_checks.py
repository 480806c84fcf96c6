"""Reads and writes of spot checks: their frames, samples and findings, scoped like every read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, false, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    ExitApplication,
    Household,
    ProcedureVersion,
    SpotCheck,
    SpotCheckSubject,
    VillageDesignationRow,
)
from api.db.repositories.scoping import in_scope, in_subtree
from api.domain.engine import Status
from api.domain.jurisdictions import Scope
from api.domain.register import EXITED, SubjectKind
from api.domain.spot_checks import Result


@dataclass(frozen=True, slots=True)
class Candidate:
    """A subject of a frame, with the application it is checked through."""

    subject_key: str
    application_id: int
    unit_code: str
    procedure_version_id: int


async def exited(
    session: AsyncSession, *, kind: SubjectKind, unit: str, year: int, scope: Scope, limit: int
) -> list[Candidate]:
    """Subjects under ``unit`` that exited in ``year`` through an application here and are
    still exited, with that application (at most ``limit``)."""
    app = ExitApplication
    if kind is SubjectKind.HOUSEHOLD:
        statement = (
            select(Household.registry_no, app.id, Household.village_code, app.procedure_version_id)
            .join(Household, Household.id == app.household_id)
            .where(
                Household.exit_attribute.in_(EXITED),
                Household.exited_year == year,
                in_subtree(Household.village_code, unit),
                in_scope(Household.village_code, scope),
            )
        )
    else:
        statement = (
            select(app.subject_key, app.id, app.unit_code, app.procedure_version_id)
            .join(VillageDesignationRow, VillageDesignationRow.village_code == app.subject_key)
            .where(
                VillageDesignationRow.exited_on.is_not(None),
                in_subtree(app.unit_code, unit),
                in_scope(app.unit_code, scope),
            )
        )
    statement = statement.where(
        app.subject_kind == kind, app.status == Status.EXITED, app.year == year
    )
    rows = await session.execute(statement.order_by(app.subject_key).limit(limit))
    return [Candidate(*row) for row in rows]


async def awaiting(
    session: AsyncSession,
    *,
    kind: SubjectKind,
    unit: str,
    year: int,
    scope: Scope,
    stages: Sequence[tuple[int, str]],
    limit: int,
) -> list[Candidate]:
    """Applications under ``unit`` waiting at one of ``stages`` ((procedure version id,
    stage code) pairs: the stages whose approval needs a spot check)."""
    app = ExitApplication
    waiting = or_(
        false(), *(and_(app.procedure_version_id == v, app.stage == s) for v, s in stages)
    )
    rows = await session.execute(
        select(app.subject_key, app.id, app.unit_code, app.procedure_version_id)
        .where(
            app.subject_kind == kind,
            app.status == Status.IN_PROGRESS,
            app.year == year,
            waiting,
            in_subtree(app.unit_code, unit),
            in_scope(app.unit_code, scope),
        )
        .order_by(app.subject_key)
        .limit(limit)
    )
    return [Candidate(*row) for row in rows]


async def versions(session: AsyncSession) -> list[ProcedureVersion]:
    """Every stored procedure version (a handful)."""
    return list(await session.scalars(select(ProcedureVersion).order_by(ProcedureVersion.id)))


async def add_subjects(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """The frame's rows, in one executemany."""
    if rows:
        await session.execute(insert(SpotCheckSubject), list(rows))


async def get(session: AsyncSession, spot_check_id: int, *, scope: Scope) -> SpotCheck | None:
    return await session.scalar(
        select(SpotCheck).where(SpotCheck.id == spot_check_id, in_scope(SpotCheck.unit_code, scope))
    )


async def sampled(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[SpotCheckSubject]]:
    """The sampled subjects of each spot check, drawn first first."""
    found: dict[int, list[SpotCheckSubject]] = {i: [] for i in ids}
    rows = await session.scalars(
        select(SpotCheckSubject)
        .where(SpotCheckSubject.spot_check_id.in_(ids), SpotCheckSubject.sample_rank.is_not(None))
        .order_by(SpotCheckSubject.spot_check_id, SpotCheckSubject.sample_rank)
        .execution_options(populate_existing=True)  # findings are written by UPDATE
    )
    for row in rows:
        found[row.spot_check_id].append(row)
    return found


async def frames(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each spot check's frame: its subject keys in canonical (code-point) order."""
    found: dict[int, list[str]] = {i: [] for i in ids}
    rows = await session.execute(
        select(SpotCheckSubject.spot_check_id, SpotCheckSubject.subject_key)
        .where(SpotCheckSubject.spot_check_id.in_(ids))
        .order_by(SpotCheckSubject.spot_check_id, SpotCheckSubject.subject_key)
    )
    for spot_check_id, key in rows:
        found[spot_check_id].append(key)
    return found


async def record_finding(session: AsyncSession, subject_id: int, *, values: dict[str, Any]) -> bool:
    """Write one finding unless one is recorded already (a concurrent recorder won)."""
    result = await session.execute(
        update(SpotCheckSubject)
        .where(SpotCheckSubject.id == subject_id, SpotCheckSubject.result.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def page(
    session: AsyncSession, *, scope: Scope, under: str | None, after: int | None, first: int
) -> list[SpotCheck]:
    """Spot checks in scope (and under ``under``), newest first: ``first`` + 1 rows."""
    statement = select(SpotCheck).where(in_scope(SpotCheck.unit_code, scope))
    if under is not None:
        statement = statement.where(in_subtree(SpotCheck.unit_code, under))
    if after is not None:
        statement = statement.where(SpotCheck.id < after)
    return list(await session.scalars(statement.order_by(SpotCheck.id.desc()).limit(first + 1)))


async def covering(
    session: AsyncSession, application_id: int, *, roles: Sequence[str], since: datetime | None
) -> SpotCheck | None:
    """The latest complete spot check whose frame holds the application, drawn by one of
    ``roles`` since ``since``, in which the application, if sampled, passed."""
    member = SpotCheckSubject
    pending = (
        select(member.id)
        .where(
            member.spot_check_id == SpotCheck.id,
            member.sample_rank.is_not(None),
            member.result.is_(None),
        )
        .correlate(SpotCheck)
    )
    statement = (
        select(SpotCheck)
        .join(member, member.spot_check_id == SpotCheck.id)
        .where(
            member.application_id == application_id,
            or_(member.sample_rank.is_(None), member.result == Result.PASSED),
            SpotCheck.drawn_role.in_(roles),
            ~exists(pending),
        )
    )
    if since is not None:
        statement = statement.where(SpotCheck.drawn_at >= since)
    return await session.scalar(statement.order_by(SpotCheck.id.desc()).limit(1))
