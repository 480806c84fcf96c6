"""Where a household stands in a given year, from its register dates."""

from __future__ import annotations


def registered_poor_in(
    year: int, *, registered_year: int, exited_year: int | None, returned_year: int | None
) -> bool:
    """Whether the household counts in the registered poor population at the end of ``year``.

    Registered in ``registered_year``; out from the end of ``exited_year``; back in
    from ``returned_year`` when it returned to poverty (返贫) after its latest exit.
    The repository's SQL states the same rule; a test holds them together.
    """
    if registered_year > year:
        return False
    if exited_year is None or exited_year > year:
        return True
    return returned_year is not None and exited_year <= returned_year <= year
