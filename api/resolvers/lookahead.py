"""Looking ahead at what a query selects, so a page can fetch its rows' figures at once.

A field resolved through an awaited DataLoader costs far more than a plain attribute
(a task, a future and an argument conversion per row). When a page's query asks for
per-row figures, the page fetches them for all its rows in one read and the row fields
answer synchronously from the request's cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.language import SelectionSetNode
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


def asks_field(info: Any, name: str) -> bool:
    """Whether the field being resolved selects a field ``name`` on its value, directly
    or through fragments (of any type condition: a guess may fetch too much, never too
    little). Reads the syntax tree: no conversion of the selections."""
    raw = info._raw_info
    return any(_selects(node.selection_set, name, raw.fragments) for node in raw.field_nodes)


def _selects(
    selections: SelectionSetNode | None,
    name: str,
    fragments: dict[str, FragmentDefinitionNode],
) -> bool:
    if selections is None:
        return False
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(selection.selection_set, name, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _selects(fragment.selection_set, name, fragments):
                return True
    return False
