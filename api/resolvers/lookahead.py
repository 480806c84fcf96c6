"""Looking ahead at what a query selects, so a page can fetch its rows' figures at once.

A field resolved through an awaited DataLoader costs far more than a plain attribute
(a task, a future and an argument conversion per row). When a page's query asks for
per-row figures, the page fetches them for all its rows in one read and the row fields
answer synchronously from the request's cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _fields(selection.selections)


def arguments_under(
    selections: Iterable[Selection], path: tuple[str, ...], names: frozenset[str]
) -> list[dict[str, Any]]:
    """The arguments of every field named in ``names`` at ``path`` below ``selections``."""
    found: list[dict[str, Any]] = []
    for field in _fields(selections):
        if path:
            if field.name == path[0]:
                found += arguments_under(field.selections, path[1:], names)
        elif field.name in names:
            found.append(field.arguments)
    return found
