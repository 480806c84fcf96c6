"""Exporting register lists in the import format: de-registrations, exit marks, the register."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, extract, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Household, Jurisdiction, Member, VillageDesignationRow
from api.db.repositories.scoping import in_subtree
from api.domain.register import ZH
from api.domain.register_file import HEADERS, HouseholdRecord, MemberRecord, rows_of

EXIT_MARK_HEADERS = ("行政区划代码", "村名称", "贫困村类型", "确定年度", "退出日期")
_CHUNK = 2_000


async def _household_rows(session: AsyncSession, query: Select[Household]) -> list[list[str]]:
    households = list(await session.scalars(query.order_by(Household.registry_no)))
    members: dict[int, list[Member]] = {h.id: [] for h in households}
    ids = list(members)
    for start in range(0, len(ids), _CHUNK):
        rows = await session.scalars(
            select(Member)
            .where(Member.household_id.in_(ids[start : start + _CHUNK]))
            .order_by(Member.id)
        )
        for member in rows:
            members[member.household_id].append(member)
    out: list[list[str]] = []
    for household in households:
        record = HouseholdRecord(
            **{name: getattr(household, name) for name in HouseholdRecord.__dataclass_fields__}
        )
        out += rows_of(
            record,
            (
                MemberRecord(
                    **{name: getattr(m, name) for name in MemberRecord.__dataclass_fields__}
                )
                for m in members[household.id]
            ),
        )
    return out


def _under(query: Select[Household], under: str) -> Select[Household]:
    return query if not under else query.where(in_subtree(Household.village_code, under))


async def deregistered(session: AsyncSession, *, year: int, under: str) -> list[list[str]]:
    """Households de-registered (exited) in ``year`` under ``under``, one row per member."""
    query = select(Household).where(Household.exited_year == year)
    return await _household_rows(session, _under(query, under))


async def register(session: AsyncSession, *, under: str) -> list[list[str]]:
    """The whole register under ``under``, one row per member."""
    return await _household_rows(session, _under(select(Household), under))


async def exit_marks(session: AsyncSession, *, year: int, under: str) -> list[list[str]]:
    """Poor villages whose exit was marked in ``year`` under ``under``."""
    query = (
        select(VillageDesignationRow, Jurisdiction.name)
        .join(Jurisdiction, Jurisdiction.code == VillageDesignationRow.village_code)
        .where(extract("year", VillageDesignationRow.exited_on) == year)
        .order_by(VillageDesignationRow.village_code)
    )
    if under:
        query = query.where(in_subtree(VillageDesignationRow.village_code, under))
    rows = await session.execute(query)
    return [
        [
            village.village_code,
            name,
            ZH[type(village.designation)][village.designation],
            str(village.designated_year),
            _day(village.exited_on),
        ]
        for village, name in rows
    ]


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def headers_of(kind: str) -> Sequence[str]:
    return EXIT_MARK_HEADERS if kind == "exit-marks" else HEADERS
