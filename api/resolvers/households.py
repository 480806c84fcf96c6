"""Household pages under a unit, scoped to the caller in SQL.

With ``meets_standard``, candidates still come from the scoped keyset query; the
exit standard (judged in Python on recorded data) keeps those that match. A request
scans at most ``SCAN_LIMIT`` candidates; the page's end cursor marks where the scan
stopped, so the next page continues without gaps or repeats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.repositories import household_search
from api.db.repositories import households as household_repo
from api.db.views import HouseholdView, values_of
from api.domain.income import Figures, HouseholdAccounts, per_capita
from api.domain.jurisdictions import validate_code
from api.domain.search import parse_search
from api.domain.standards import StandardCheck
from api.errors import NotPermitted, ValidationFailed
from api.resolvers import cursors
from api.resolvers.context import Context
from api.resolvers.lookahead import arguments_under
from api.resolvers.privacy import sees_identity_anywhere
from api.services import registry

MAX_PAGE = 100
SCAN_LIMIT = 2_000


@dataclass(frozen=True, slots=True)
class StandardFilter:
    year: int
    met: bool


@dataclass(frozen=True, slots=True)
class HouseholdPage:
    rows: list[HouseholdView]
    has_next: bool
    end: tuple[str, int] | None
    """Where the next page starts: the last row returned, or the last row scanned."""
    figures_year: int | None = None
    figures: dict[int, Figures] = field(default_factory=dict)
    """Household id -> its figures of ``figures_year``, fetched with the rows."""


async def page_under(
    context: Context,
    *,
    code: str,
    first: int,
    after: str | None,
    exit_attributes: tuple[str, ...] = (),
    standard: StandardFilter | None = None,
    figures_year: int | None = None,
) -> HouseholdPage:
    """A page of households; with ``figures_year`` (and no standard filter, which scans
    candidates it may not keep), the page's statement also fetches their figures."""
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}", path=("first",))
    position = None if after is None else cursors.decode_household(after)

    scope = context.scope

    async def fetch(
        start: tuple[str, int] | None, size: int, year: int | None = None
    ) -> list[household_repo.PageRow]:
        return await context.read(
            lambda s: household_repo.page(
                s,
                scope=scope,
                under=code,
                after=start,
                first=size,
                exit_attributes=exit_attributes,
                figures_year=year,
            )
        )

    if standard is None:
        rows = await fetch(position, first, figures_year)
        page = rows[:first]
        figures = {} if figures_year is None else dict(map(_figures, page))
        return HouseholdPage(
            list(page),
            len(rows) > first,
            _key(page[-1]) if page else None,
            figures_year=figures_year,
            figures=figures,
        )
    return await _matching(context, fetch, position, first, standard)


async def search(
    context: Context, *, text: str, under: str | None, first: int, after: str | None
) -> HouseholdPage:
    """A page of the households the viewer may see that ``text`` finds (api/domain/search.py)
    under ``under`` (the viewer's own jurisdiction by default)."""
    term = parse_search(text)
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}", path=("first",))
    if under is not None:
        try:
            validate_code(under)
        except ValidationFailed as exc:
            raise ValidationFailed(str(exc), path=("under",)) from None
    principal = context.principal
    if term.is_number and not sees_identity_anywhere(principal):
        raise NotPermitted(
            "ID numbers and phones are searched by those who see them in full (the "
            "township and the tiers above it); search by a name"
        )
    start = under if under is not None else (None if principal is None else principal.jurisdiction)
    position = None if after is None else cursors.decode_household(after)
    scope = context.scope
    found = await context.read(
        lambda s: household_search.search(
            s, term, scope=scope, under=start or None, after=position, first=first
        )
    )
    page = found.rows[:first]
    if found.walked_to is not None:  # a short page of a long walk: go on from where it ended
        return HouseholdPage(list(page), True, found.walked_to)
    return HouseholdPage(list(page), len(found.rows) > first, _key(page[-1]) if page else None)


_ZERO = Decimal(0)


def _figures(row: household_repo.PageRow) -> tuple[int, Figures]:
    values = values_of(row)
    size = values["figure_size"]
    # No income records: a net income of 0, as api.domain.income.accounts has it.
    return values["id"], Figures(size, per_capita(values["figure_net"] or _ZERO, size))


Fetch = Callable[[tuple[str, int] | None, int], Awaitable[Sequence[HouseholdView]]]


async def _matching(
    context: Context,
    fetch: Fetch,
    position: tuple[str, int] | None,
    first: int,
    standard: StandardFilter,
) -> HouseholdPage:
    async def judge(
        session: AsyncSession, *, rows: Sequence[HouseholdView]
    ) -> dict[int, StandardCheck]:
        return await registry.check_households(
            session, rows, year=standard.year, policy=context.policy
        )

    kept: list[HouseholdView] = []
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


def _key(row: HouseholdView) -> tuple[str, int]:
    return (row.village_code, row.id)


def cursor_at(key: tuple[str, int]) -> str:
    return cursors.encode(*key)


_FIGURES = frozenset({"size", "perCapitaNetIncome"})


def figure_years(info: Any) -> set[int]:
    """The years the query asks of a page's rows' figures (size, per-capita income)."""
    wanted = arguments_under(info.selected_fields[0].selections, ("edges", "node"), _FIGURES)
    # Literal arguments arrive as their source text; variables as their values.
    return {int(y) for args in wanted if str(y := args.get("year", "")).isdigit()}


async def prefetch_figures(context: Context, page: HouseholdPage, years: set[int]) -> None:
    """Keep the figures the query asks of the page's rows, per year: those fetched with
    the page, and the other years' in one read each."""
    if not page.rows:
        return
    figures = context.figures
    if page.figures_year is not None:
        year = page.figures_year
        figures.update({(year, hid): found for hid, found in page.figures.items()})
    ids = [row.id for row in page.rows]
    for year in sorted(years - {page.figures_year}):
        accounts = await context.read(partial(_accounts, ids=ids, year=year))
        figures.update({(year, hid): Figures.of(a) for hid, a in accounts.items()})


async def _accounts(
    session: AsyncSession, *, ids: list[int], year: int
) -> dict[int, HouseholdAccounts]:
    return await registry.household_accounts(session, ids, year=year)
