"""Household pages under a unit, scoped to the caller in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from api.db.models import Household
from api.db.repositories import households as household_repo
from api.errors import ValidationFailed
from api.resolvers import cursors
from api.resolvers.context import Context

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class HouseholdPage:
    rows: list[Household]
    has_next: bool


async def page_under(
    context: Context,
    *,
    code: str,
    first: int,
    after: str | None,
    exit_attributes: tuple[str, ...] = (),
) -> HouseholdPage:
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}", path=("first",))
    position = None if after is None else cursors.decode_household(after)
    rows = await context.read(
        lambda s: household_repo.page(
            s,
            scope=context.scope,
            under=code,
            after=position,
            first=first,
            exit_attributes=exit_attributes,
        )
    )
    return HouseholdPage(rows=rows[:first], has_next=len(rows) > first)


def cursor_of(row: Household) -> str:
    return cursors.encode(row.village_code, row.id)
