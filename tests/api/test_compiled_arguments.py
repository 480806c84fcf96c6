"""A planned mutation's arguments convert to what Strawberry's own conversion builds.

For every planned mutation, variables of many shapes (fields left out, nulls, empty and
long lists, an idempotency key or none) are coerced by graphql-core, then converted both
by ``api.compiled.arguments`` and by ``strawberry.types.arguments.convert_arguments``
(what the general path runs): the two must be equal, class for class.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.relay import GlobalID, to_base64
from strawberry.types.arguments import convert_arguments

from api.compiled.arguments import ArgumentConverter
from api.compiled.mutations import MUTATIONS
from api.schema.schema import schema

APP = to_base64("ExitApplication", 7)
PROOF = {"kind": "VERIFICATION_RECORD", "reference": "r/1.pdf", "sha256": "ab" * 32}
ACK = {"kind": "HOUSEHOLD_ACKNOWLEDGMENT", "reference": "r/2.pdf", "sha256": "cd" * 32}

INPUTS: dict[str, list[dict[str, Any]]] = {
    "performStage": [
        {"applicationId": APP, "stage": "verification", "decision": "APPROVE"},
        {
            "applicationId": APP,
            "stage": "verification",
            "decision": "APPROVE",
            "evidence": [PROOF, ACK],
        },
        {"applicationId": APP, "stage": "s", "decision": "RETURN", "returnTo": "x", "reason": "y"},
        {"applicationId": APP, "stage": "s", "decision": "REJECT", "evidence": [], "reason": None},
    ],
    "postNotice": [
        {"applicationId": APP, "stage": "village_notice", "evidence": [PROOF]},
        {"applicationId": APP, "stage": "village_notice", "evidence": []},
    ],
    "recordAcknowledgment": [{"applicationId": APP, "evidence": ACK}],
}


def deep(value: Any) -> Any:
    """A value compared class for class: a dataclass as its class and fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value), {f.name: deep(getattr(value, f.name)) for f in fields(value)})
    if isinstance(value, list):
        return [deep(v) for v in value]
    if isinstance(value, GlobalID):
        return (GlobalID, value.type_name, value.node_id)
    return (type(value), value)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_planned_mutation_converts_as_strawberry_does(mutation: str) -> None:
    graphql_schema = schema._schema
    assert graphql_schema.mutation_type is not None
    field = graphql_schema.mutation_type.fields[mutation]
    strawberry_field = field.extensions["strawberry-definition"]
    input_type = str(field.args["input"].type)
    document = parse(
        f"mutation($input: {input_type}, $key: String) "
        f"{{ {mutation}(input: $input, idempotencyKey: $key) {{ __typename }} }}"
    )
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    converter = ArgumentConverter(
        strawberry_field, schema.schema_converter.scalar_registry, schema.config
    )
    cases = 0
    for given in INPUTS[mutation]:
        for key in ({}, {"key": None}, {"key": "k-1"}):
            variables = get_variable_values(
                graphql_schema, operation.variable_definitions or (), {"input": given, **key}
            )
            assert not isinstance(variables, list), variables
            arguments = get_argument_values(field, node, variables)
            theirs = convert_arguments(
                arguments, strawberry_field.arguments, schema.schema_converter.scalar_registry,
                schema.config,
            )  # fmt: skip
            mine = converter.convert(arguments)
            assert deep(mine) == deep(theirs), given
            cases += 1
    assert cases >= 3


def test_a_default_list_is_copied_for_each_request() -> None:
    """graphql-core hands every request that leaves ``evidence`` out the same default
    list: the converted value must be a list of its own, as Strawberry's is."""
    graphql_schema = schema._schema
    assert graphql_schema.mutation_type is not None
    field = graphql_schema.mutation_type.fields["performStage"]
    converter = ArgumentConverter(
        field.extensions["strawberry-definition"],
        schema.schema_converter.scalar_registry,
        schema.config,
    )
    shared: list[Any] = []
    given = {
        "input": {"applicationId": APP, "stage": "s", "decision": "APPROVE", "evidence": shared}
    }
    converted = converter.convert(given)["input"]
    assert converted.evidence == []
    assert converted.evidence is not shared
