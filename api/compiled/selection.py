"""A validated document's fields, collected per runtime type, with their arguments.

Field collection as the spec defines it (fragments and inline fragments that apply to
the runtime type, fields of one response key merged), on the document's AST alone: no
executor internals. A directive anywhere is not planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    Undefined,
    VariableDefinitionNode,
    VariableNode,
    get_variable_values,
    is_abstract_type,
    value_from_ast,
)
from graphql.execution.values import VariableValues

BACKREF = "strawberry-definition"
"""Where Strawberry keeps, on a graphql-core type or field, its own definition."""


def coerce_variables(
    schema: GraphQLSchema, definitions: Sequence[VariableDefinitionNode], given: dict[str, Any]
) -> VariableValues | None:
    """The request's variables as the general path coerces them; None when they do not
    coerce (the general path says why)."""
    coerced = get_variable_values(schema, definitions, given, hide_suggestions=True)
    return None if isinstance(coerced, list) else coerced


class Unplannable(Exception):
    """The operation (or this variant of it) takes the general path."""


@dataclass(frozen=True, slots=True)
class Variable:
    """An argument given by a variable; ``default`` is the argument's own default,
    taken when the request leaves the variable out."""

    name: str
    default: Any


@dataclass(frozen=True, slots=True)
class Selected:
    key: str
    """The response key: the alias, else the field's name."""
    name: str
    arguments: Mapping[str, Any]
    """Argument name -> its Python value (literal or default) or a ``Variable``."""
    selection_sets: tuple[SelectionSetNode, ...]
    """The sub-selections of every node merged under this key."""


@dataclass(frozen=True, slots=True)
class Document:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]

    def fields(
        self, runtime: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> list[Selected]:
        """The fields a value of type ``runtime`` answers, in response order."""
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._walk(runtime, selection_set, grouped)
        return [self._selected(runtime, key, nodes) for key, nodes in grouped.items()]

    def _walk(
        self,
        runtime: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise Unplannable("directives are not planned")
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, runtime):
                    self._walk(runtime, selection.selection_set, grouped)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition, runtime):
                    self._walk(runtime, fragment.selection_set, grouped)

    def _applies(self, condition: NamedTypeNode | None, runtime: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == runtime.name:
            return True
        named = self.schema.get_type(condition.name.value)
        return is_abstract_type(named) and self.schema.is_sub_type(named, runtime)

    def _selected(self, runtime: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> Selected:
        first = nodes[0]
        name = first.name.value
        definition = runtime.fields.get(name)
        if definition is None:  # __typename (validation let nothing else through)
            return Selected(key, name, {}, ())
        given = {argument.name.value: argument.value for argument in first.arguments or ()}
        arguments = {
            arg_name: _argument(arg, given.get(arg_name))
            for arg_name, arg in definition.args.items()
        }
        sets = tuple(node.selection_set for node in nodes if node.selection_set is not None)
        return Selected(key, name, arguments, sets)


def _argument(argument: GraphQLArgument, node: Any) -> Any:
    default = None if argument.default_value is Undefined else argument.default_value
    if node is None:
        return default
    if isinstance(node, VariableNode):
        return Variable(node.name.value, default)
    value = value_from_ast(node, argument.type)
    if value is Undefined:  # validation passed, so this is a nested variable
        raise Unplannable("variables inside list or object literals are not planned")
    return value
