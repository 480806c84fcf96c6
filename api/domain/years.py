"""Years as the register knows them: from the founding of the People's Republic to 2100.

Every year a client gives is checked here before it reaches a date computation
(``date(99999, 1, 1)`` raises a ValueError nobody should see).
"""

from __future__ import annotations

from api.errors import ValidationFailed

MIN_YEAR, MAX_YEAR = 1949, 2100


def check_year(year: int, *, path: tuple[str, ...] = ("year",)) -> int:
    """``year`` itself, or ValidationFailed naming ``path``."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            f"{path[-1]} must be a year from {MIN_YEAR} to {MAX_YEAR}, not {year}", path=path
        )
    return year
