"""Household pages under a unit, scoped to the caller in SQL.

With ``meets_standard``, candidates still come from the scoped keyset query; the
exit standard (judged in Python on recorded data) keeps those that match. A request
scans at most ``SCAN_LIMIT`` candidates; the page's end cursor marks where the scan
stopped, so the next page continues without gaps or repeats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Household
from api.db.repositories import households as household_repo
from api.domain.income import HouseholdAccounts
from api.domain.standards import StandardCheck
from api.errors import ValidationFailed
from api.resolvers import cursors
from api.resolvers.context import Context
from api.resolvers.lookahead import arguments_under
from api.services import registry

MAX_PAGE = 100
SCAN_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class StandardFilter:
    year: int
    met: bool


@dataclass(frozen=True, slots=True)
class HouseholdPage:
    rows: list[Household]
    has_next: bool
    end: tuple[str, int] | None
    """Where the next page starts: the last row returned, or the last row scanned."""


async def page_under(
    context: Context,
    *,
    code: str,
    first: int,
    after: str | None,
    exit_attributes: tuple[str, ...] = (),
    standard: StandardFilter | None = None,
) -> HouseholdPage:
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}", path=("first",))
    position = None if after is None else cursors.decode_household(after)

    async def fetch(start: tuple[str, int] | None, size: int) -> list[Household]:
        return await context.read(
            lambda s: household_repo.page(
                s,
                scope=context.scope,
                under=code,
                after=start,
                first=size,
                exit_attributes=exit_attributes,
            )
        )

    if standard is None:
        rows = await fetch(position, first)
        page = rows[:first]
        return HouseholdPage(page, len(rows) > first, _key(page[-1]) if page else None)
    return await _matching(context, fetch, position, first, standard)


Fetch = Callable[[tuple[str, int] | None, int], Awaitable[list[Household]]]


async def _matching(
    context: Context,
    fetch: Fetch,
    position: tuple[str, int] | None,
    first: int,
    standard: StandardFilter,
) -> HouseholdPage:
    async def judge(session: AsyncSession, *, rows: list[Household]) -> dict[int, StandardCheck]:
        return await registry.check_households(
            session, rows, year=standard.year, policy=context.policy
        )

    kept: list[Household] = []
    scanned = 0
    while scanned < SCAN_LIMIT:
        size = min(4 * first, SCAN_LIMIT - scanned)
        fetched = await fetch(position, size)
        more, batch = len(fetched) > size, fetched[:size]
        checks = await context.read(partial(judge, rows=batch))
        for index, row in enumerate(batch, start=1):
            scanned += 1
            position = _key(row)
            if checks[row.id].met is standard.met:
                kept.append(row)
                if len(kept) == first:
                    return HouseholdPage(kept, index < len(batch) or more, position)
        if not more:
            return HouseholdPage(kept, False, position if kept else None)
    return HouseholdPage(kept, True, position)


def _key(row: Household) -> tuple[str, int]:
    return (row.village_code, row.id)


def cursor_at(key: tuple[str, int]) -> str:
    return cursors.encode(*key)


_FIGURES = frozenset({"size", "perCapitaNetIncome"})


async def prefetch_accounts(info: Any, rows: list[Household]) -> None:
    """Fetch the accounts the query asks of these rows (per year) in one read each."""
    if not rows:
        return
    context: Context = info.context
    wanted = arguments_under(info.selected_fields[0].selections, ("edges", "node"), _FIGURES)
    # Literal arguments arrive as their source text; variables as their values.
    years = {int(y) for args in wanted if str(y := args.get("year", "")).isdigit()}
    ids = [row.id for row in rows]
    for year in years:
        found = await context.read(partial(_accounts, ids=ids, year=year))
        context.accounts.update({(year, hid): accounts for hid, accounts in found.items()})


async def _accounts(
    session: AsyncSession, *, ids: list[int], year: int
) -> dict[int, HouseholdAccounts]:
    return await registry.household_accounts(session, ids, year=year)
