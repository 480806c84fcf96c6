"""Reading the kept statistics for a request: authorized once, scoped in SQL, batched
per year (``Loaders.statistics``), tallies worked out once per unit and year."""

from __future__ import annotations

from api.domain.statistics import Figures, Tally
from api.resolvers.context import Context


async def figures(context: Context, code: str, year: int) -> Figures | None:
    """The unit's figures; None for the public and outside the viewer's jurisdiction;
    NotPermitted for a role that does not read statistics."""
    if context.principal is None:
        return None
    return await context.loaders.statistics(year).load(code)


async def tallies(context: Context, code: str, year: int) -> tuple[Tally, Tally]:
    """Poor villages and poor counties under a unit already read within scope; the units
    of one request are worked out together (``Loaders.tallies``)."""
    return await context.loaders.tallies(year).load(code)
