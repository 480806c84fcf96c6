"""`tuopin demo` opens with work in it: each printed token's holder finds something to
do (or is told what will reach it), notices are on both provinces' boards, a household
has exited, spot checks are drawn, a county evaluation is under way, the webhook has
deliveries, and the ledger holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.db import models
from api.db.session import create_engine
from api.demo.command import load_demo
from api.demo.next_steps import for_holders
from api.demo.tokens import holders
from api.domain.engine import Status
from api.domain.roles import Role
from api.services.ledger_command import verify_ledger
from tests.conftest import Database, fresh_database


@pytest.fixture(scope="module")
def demo_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("scenes"), "scenes") as url:
        yield url


@pytest.fixture(scope="module")
async def loaded(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    settings = Settings(
        database_url=demo_url,
        state_dir=tmp_path_factory.mktemp("s"),
        dev_signing_key=SecretStr("k" * 32),
    )
    counts = await load_demo(settings, if_empty=False, seed=2016)
    assert counts is not None
    return demo_url


async def test_every_printed_holder_has_a_next_step(loaded: str) -> None:
    steps = await for_holders(loaded, holders(), datetime.now(UTC))
    assert steps is not None
    idle = [p for p in holders() if not steps[p.subject]]
    assert [(p.role, p.jurisdiction) for p in idle] == [(Role.STATE_COUNCIL_LEADING_GROUP, "")]
    by_role = {(p.role, p.jurisdiction): steps[p.subject] for p in holders()}
    assert any("verification" in line for line in by_role[Role.RESIDENT_WORK_TEAM, "230231101202"])
    assert any(
        "on the public board until" in line
        for line in by_role[Role.VILLAGE_COMMITTEES, "230231101202"]
    )
    assert any("spot check" in line for line in by_role[Role.TOWNSHIP_GOVERNMENT, "230231101"])
    assert any(
        "evaluation assigned" in line for line in by_role[Role.THIRD_PARTY_EVALUATOR, "230223"]
    )
    assert any("town_spot_check" in line for line in by_role[Role.TOWNSHIP_GOVERNMENT, "371302101"])
    assert any(
        "reaches you at approval" in line for line in by_role[Role.PROVINCIAL_GOVERNMENT, "23"]
    )


async def test_the_story_is_in_the_database(loaded: str) -> None:
    engine = create_engine(loaded)
    try:
        async with AsyncSession(engine) as session:
            statuses = dict(
                (
                    await session.execute(
                        select(models.ExitApplication.status, func.count()).group_by(
                            models.ExitApplication.status
                        )
                    )
                ).all()
            )
            assert statuses[Status.EXITED] == 1
            assert statuses[Status.IN_PROGRESS] >= 8
            assert await session.scalar(select(func.count()).select_from(models.SpotCheck)) == 2
            assert (
                await session.scalar(select(func.count()).select_from(models.EvaluationAssignment))
                == 1
            )
            assert (
                await session.scalar(select(func.count()).select_from(models.WebhookDelivery)) >= 1
            )
            on_board = (
                await session.execute(
                    select(models.ExitApplication.unit_code).where(
                        models.ExitApplication.notice_ends_at > datetime.now(UTC)
                    )
                )
            ).scalars()
            assert {code[:2] for code in on_board} == {"23", "37"}
    finally:
        await engine.dispose()


async def test_the_demos_ledger_holds(loaded: str) -> None:
    verified = await verify_ledger(loaded)
    assert verified.broken is None
    assert verified.entries > 10
