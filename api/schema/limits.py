"""Limits on a document's shape: operation depth and aliases.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk fragment spreads recursively
and again for every spread: an unknown fragment raised KeyError, a long chain of
spreads overflowed the stack, and a fragment spread twice at each of n levels was
walked 2ⁿ times. Here each definition is measured once, fragments before the
definitions that spread them, without recursion through spreads. The rule runs after
the spec's rules have passed (unknown fragments and cycles are theirs to report); on
its own it counts an unknown or cyclic spread as nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)

MAX_DEPTH = 12
MAX_ALIASES = 30


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    """Fields with a selection set on the longest path; introspection fields count 0."""
    aliases: int
    """Aliased fields, a fragment counted once for every spread of it."""


NOTHING = Measure(0, 0)


def fragment_measures(fragments: Mapping[str, FragmentDefinitionNode]) -> dict[str, Measure]:
    """Every fragment's measure, each worked out once after those it spreads."""
    done: dict[str, Measure] = {}
    for name in _dependency_order(fragments):
        done[name] = measure(fragments[name].selection_set, done)
    return done


def measure(selection_set: SelectionSetNode, fragments: Mapping[str, Measure]) -> Measure:
    """The measure of one selection set; spreads are looked up in ``fragments``.

    Nesting inside one definition is bounded by the parser; it is walked with a stack
    all the same, so no document can make this recurse.
    """
    results: dict[int, Measure] = {}
    stack: list[tuple[SelectionSetNode, bool]] = [(selection_set, False)]
    while stack:
        node, children_done = stack.pop()
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in _child_sets(node))
            continue
        depth = aliases = 0
        for selection in node.selections:
            if isinstance(selection, FragmentSpreadNode):
                inner = fragments.get(selection.name.value, NOTHING)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
                continue
            if isinstance(selection, FieldNode) and selection.alias is not None:
                aliases += 1
            child: SelectionSetNode | None = getattr(selection, "selection_set", None)
            if child is None:
                continue
            inner = results.pop(id(child))
            aliases += inner.aliases
            if not isinstance(selection, FieldNode):
                depth = max(depth, inner.depth)  # an inline fragment adds no level
            elif not selection.name.value.startswith("__"):
                depth = max(depth, 1 + inner.depth)
        results[id(node)] = Measure(depth, aliases)
    return results[id(selection_set)]


def _child_sets(node: SelectionSetNode) -> Iterator[SelectionSetNode]:
    for selection in node.selections:
        child = getattr(selection, "selection_set", None)
        if child is not None:
            yield child


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        node = stack.pop()
        for selection in node.selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
        stack.extend(_child_sets(node))


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after every fragment it spreads (depth first, no recursion);
    a spread that closes a cycle or names no fragment is left out."""
    order: list[str] = []
    placed: set[str] = set()
    for root in fragments:
        if root in placed:
            continue
        path = [(root, _spreads(fragments[root].selection_set))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                if spread in fragments and spread not in placed and spread not in on_path:
                    path.append((spread, _spreads(fragments[spread].selection_set)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                placed.add(name)
                order.append(name)
    return order


class DocumentLimits(ASTValidationRule):
    """Refuses an operation deeper than MAX_DEPTH or with more than MAX_ALIASES aliases."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        document = context.document
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        measures = fragment_measures(fragments)
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self._check(definition, measure(definition.selection_set, measures))

    def _check(self, operation: OperationDefinitionNode, found: Measure) -> None:
        name = operation.name.value if operation.name else "anonymous"
        if found.depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"operation '{name}' is {found.depth} levels deep; "
                    f"at most {MAX_DEPTH} are allowed",
                    operation,
                )
            )
        if found.aliases > MAX_ALIASES:
            self.report_error(
                GraphQLError(
                    f"operation '{name}' uses {found.aliases} aliases; "
                    f"at most {MAX_ALIASES} are allowed",
                    operation,
                )
            )
