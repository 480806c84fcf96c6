"""Two officials perform the same stage at once: exactly one wins, the other gets Conflict."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db import models
from api.db.session import read_session_factory
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import IncomeKind, SubjectKind
from api.domain.roles import Principal, Role
from api.errors import Conflict
from api.services import exits, stages
from tests import factories as f
from tests.conftest import Database
from tests.scenarios import env, evidence, official

# A fictional municipality of Heilongjiang, so Heilongjiang's procedure governs it and no
# other test meets these rows (this test commits: it needs two real transactions).
VILLAGE = "239801001001"


async def _committed_application(engine: AsyncEngine) -> tuple[int, Principal, Principal]:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await f.units(session, VILLAGE)
        household = await f.household(session, VILLAGE)
        await f.member(session, household)
        await f.income(session, household, 2016, IncomeKind.WAGE, "5000")
        await f.assessment(session, household, 2016)
        committee = await official(session, Role.VILLAGE_COMMITTEES, VILLAGE, "race-committee")
        first = await official(session, Role.RESIDENT_WORK_TEAM, VILLAGE, "race-team-1")
        second = await official(session, Role.FIRST_SECRETARY, VILLAGE, "race-secretary")
        proposed = await exits.propose(
            env(session),
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=VILLAGE,
            year=2016,
            subjects=[household.registry_no],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
        return proposed.applications[0].id, first, second


@pytest.mark.parametrize("autocommit", [False, True], ids=["in_transaction", "autocommit"])
async def test_two_concurrent_performers_of_one_stage(
    engine: AsyncEngine, database: Database, monkeypatch: pytest.MonkeyPatch, autocommit: bool
) -> None:
    """``autocommit``: as the server runs it, the step reads and writes outside the
    request's transaction (one statement, on PostgreSQL)."""
    application_id, first, second = await _committed_application(engine)
    both_read = asyncio.Barrier(2)
    read_step = stages.load_step

    async def step_then_wait(e: Any, principal: Any, application_id: Any, **kw: Any) -> Any:
        step = await read_step(e, principal, application_id, **kw)
        await both_read.wait()  # both decide on the same view before either writes
        return step

    monkeypatch.setattr(stages, "load_step", step_then_wait)

    async def attempt(actor: Principal) -> str:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            try:
                async with session.begin():
                    e = env(session)
                    if autocommit:
                        e = replace(e, autocommit=read_session_factory(engine))
                    await exits.perform(
                        e,
                        actor,
                        application_id=application_id,
                        stage="verification",
                        decision=Decision.APPROVE,
                        evidence=evidence(
                            EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT
                        ),
                    )
            except Conflict:
                return "conflict"
            return "performed"

    outcomes = await asyncio.wait_for(asyncio.gather(attempt(first), attempt(second)), 60)
    assert sorted(outcomes) == ["conflict", "performed"], database.backend

    async with AsyncSession(engine) as session:
        application = await session.get(models.ExitApplication, application_id)
        assert application is not None
        assert application.stage == "village_notice"
        assert application.row_version == 2
        records = await session.scalar(
            select(func.count())
            .select_from(models.StageRecord)
            .where(
                models.StageRecord.application_id == application_id,
                models.StageRecord.stage == "verification",
            )
        )
        assert records == 1
        events = (
            (
                await session.execute(
                    select(models.AuditEvent.detail).where(
                        models.AuditEvent.object_kind == "application",
                        models.AuditEvent.object_id == str(application_id),
                        models.AuditEvent.action == "perform",
                    )
                )
            )
            .scalars()
            .all()
        )
        assert [e["stage"] for e in events] == ["appraisal", "verification"]
