"""Looking ahead at a field's selections in the syntax tree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse

from api.resolvers.lookahead import asks_field


def _node_info(query: str) -> SimpleNamespace:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return SimpleNamespace(_raw_info=SimpleNamespace(field_nodes=[node], fragments=fragments))


@pytest.mark.parametrize(
    ("query", "asked"),
    [
        ('{ node(id: "x") { ... on Household { members { name } } } }', True),
        ('{ node(id: "x") { ...H } } fragment H on Household { id members { name } }', True),
        ('{ node(id: "x") { ... { ... on Household { members { id } } } } }', True),
        ('{ node(id: "x") { ... on Household { village { name } } } }', False),
        ('{ node(id: "x") { ... on Household { village { members: name } } } }', False),
        ('{ node(id: "x") { id } }', False),
    ],
)
def test_a_field_is_found_through_fragments_and_only_on_the_value(query: str, asked: bool) -> None:
    assert asks_field(_node_info(query), "members") is asked
