"""Writes generated demo data in one transaction: all of it, or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.demo.generator import DemoData
from api.services import statistics

BATCH = 2_000


async def load(session: AsyncSession, data: DemoData) -> dict[str, int]:
    """Insert everything; returns row counts per table. The caller commits."""
    await _insert(session, models.Jurisdiction, _parents_first(data.jurisdictions))
    await _insert(session, models.CountyDesignationRow, data.county_designations)
    await _insert(session, models.VillageDesignationRow, data.village_designations)
    await _insert(session, models.PovertyStandard, data.standards)
    await _insert(session, models.VillageIndicators, data.village_indicators)
    await _insert(session, models.ExitPlan, data.exit_plans)
    ids: dict[str, int] = {}
    for start in range(0, len(data.households), BATCH):
        rows = await session.execute(
            insert(models.Household).returning(models.Household.id, models.Household.registry_no),
            data.households[start : start + BATCH],
        )
        ids.update({registry_no: hid for hid, registry_no in rows})
    await _insert(session, models.Member, _linked(data.members, ids))
    await _insert(session, models.IncomeRecord, _linked(data.incomes, ids))
    await _insert(session, models.Assessment, _linked(data.assessments, ids))
    await statistics.rebuild(session)
    return {
        "jurisdictions": len(data.jurisdictions),
        "households": len(data.households),
        "members": len(data.members),
        "income records": len(data.incomes),
        "assessments": len(data.assessments),
        "village indicators": len(data.village_indicators),
        "poverty standards": len(data.standards),
        "exit plans": len(data.exit_plans),
    }


async def _insert(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(model), rows[start : start + BATCH])


def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: len(row["code"]))


def _linked(rows: list[dict[str, Any]], ids: dict[str, int]) -> list[dict[str, Any]]:
    linked = []
    for row in rows:
        copy = {k: v for k, v in row.items() if k != "registry_no"}
        copy["household_id"] = ids[row["registry_no"]]
        linked.append(copy)
    return linked
