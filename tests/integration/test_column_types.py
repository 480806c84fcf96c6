from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.register import IncomeKind as K
from tests import factories as f

V = "981101001001"


async def test_money_round_trips_exactly_and_sums_exactly(session: AsyncSession) -> None:
    await f.units(session, V)
    household = await f.household(session, V)
    for amount in ("0.10", "0.20", "1234567890.99"):
        await f.income(session, household, 2016, K.WAGE, amount)
    total = await session.scalar(
        select(func.sum(models.IncomeRecord.amount)).where(
            models.IncomeRecord.household_id == household.id
        )
    )
    assert total == Decimal("1234567891.29")
    session.expunge_all()
    row = await session.scalar(
        select(models.IncomeRecord).where(models.IncomeRecord.household_id == household.id)
    )
    assert row is not None
    assert row.amount == Decimal("0.10")


async def test_money_refuses_floats_and_fractions_of_a_fen(session: AsyncSession) -> None:
    await f.units(session, V)
    household = await f.household(session, V)
    for amount, message in ((1.5, "must be a Decimal"), (Decimal("0.001"), "fractions of a fen")):
        values = {
            "household_id": household.id,
            "year": 2016,
            "kind": K.WAGE,
            "amount": amount,
            "recorded_at": f.NOW,
        }
        with pytest.raises(StatementError, match=message):
            async with session.begin_nested():
                await session.execute(insert(models.IncomeRecord).values(**values))


async def test_instants_are_utc_aware_and_naive_ones_are_refused(session: AsyncSession) -> None:
    await f.units(session, V)
    household = await f.household(session, V)
    session.expunge_all()
    loaded = await session.get(models.Household, household.id)
    assert loaded is not None
    assert loaded.created_at.utcoffset() is not None
    with pytest.raises(StatementError, match="timezone-aware"):
        async with session.begin_nested():
            await f.household(session, V, created_at=datetime(2016, 1, 1))
