"""An operation's plan: parsed and validated once, compiled once per shape.

A document is planned the first time it is seen: parsed and validated with the rules
the general path uses (the spec's, no introspection, ``api.schema.limits``), its
operation picked. A document that fails any of that, or is neither a query nor a planned
mutation (``mutations``), is remembered as not planned: the general path reports what is
wrong with it.

Its SQL is compiled per *shape* (``fields.Shape``): the principal's role and scope shape,
which variables are null or left out, and the type inside each ID variable. Requests of
one shape share one SQL text, so PostgreSQL's prepared statements are reused.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from api.compiled.fields import Planner, Row, Shape, node_type
from api.compiled.mutations import MutationPlan
from api.compiled.selection import Document, Unplannable, coerce_variables
from api.compiled.sql import Statement
from api.db.repositories.scoping import scope_shape
from api.domain.jurisdictions import Scope
from api.domain.roles import Principal
from api.procedure_files import ProcedureBook
from api.schema.limits import DocumentLimits

log = logging.getLogger("tuopin.compiled")

MAX_TOKENS = 5_000
"""As the schema's MaxTokensLimiter."""
_RULES = (*specified_rules, NoSchemaIntrospectionCustomRule)


@dataclass(frozen=True, slots=True)
class Variant:
    sql: str
    statement: Statement


class OperationPlan:
    MAX_VARIANTS = 64

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        book: ProcedureBook,
    ) -> None:
        self._schema = schema
        self._operation = operation
        self.name = operation.name.value if operation.name else None
        self._book = book
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._document = Document(schema, fragments)
        self._definitions = tuple(operation.variable_definitions or ())
        declared = {d.variable.name.value: d.type for d in self._definitions}
        self._names = frozenset(declared)
        self._ids = tuple(name for name, node in declared.items() if _named(node) == "ID")
        self._variants: OrderedDict[tuple[Any, ...], Variant | None] = OrderedDict()

    def coerce(self, variables: dict[str, Any]) -> dict[str, Any] | None:
        """The request's variables as the general path coerces them; None when they do
        not coerce (the general path says why)."""
        coerced = coerce_variables(self._schema, self._definitions, variables)
        return None if coerced is None else coerced.coerced

    def variant(
        self, principal: Principal, scope: Scope, variables: dict[str, Any]
    ) -> Variant | None:
        shape = Shape(
            scope=scope_shape(scope),
            role=principal.role,
            nulls=frozenset(k for k, v in variables.items() if v is None),
            absent=self._names.difference(variables),
            node_types=tuple((name, node_type(variables.get(name))) for name in self._ids),
        )
        key = (shape.scope, shape.role, shape.nulls, shape.absent, shape.node_types)
        if key in self._variants:
            return self._variants[key]
        found = self._compile(shape)
        self._variants[key] = found
        if len(self._variants) > self.MAX_VARIANTS:
            self._variants.popitem(last=False)
        return found

    def _compile(self, shape: Shape) -> Variant | None:
        statement = Statement()
        planner = Planner(self._document, self._book, shape, statement)
        try:
            body = planner.object("Query", Row(""), [self._operation.selection_set])
        except Unplannable:
            return None
        return Variant(f"SELECT ({body})::text", statement)


def _named(node: Any) -> str:
    while isinstance(node, NonNullTypeNode):
        node = node.type
    return node.name.value if isinstance(node, NamedTypeNode) else ""


Plan = OperationPlan | MutationPlan


def plan(
    schema: GraphQLSchema, query: str, operation_name: str | None, book: ProcedureBook
) -> Plan | None:
    """The plan of a query or mutation operation, or None when the general path must
    answer."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None
    if validate(schema, document, _RULES) or validate(schema, document, [DocumentLimits]):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is OperationType.SUBSCRIPTION:
        return None
    if operation.directives or any(d.directives for d in operation.variable_definitions or ()):
        return None
    if operation.operation is OperationType.QUERY:
        return OperationPlan(schema, document, operation, book)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    try:
        return MutationPlan(schema, Document(schema, fragments), operation)
    except Unplannable:
        return None


class PlanCache:
    """Plans by (query text, operation name), least recently used out first."""

    MAXSIZE = 256

    def __init__(self, schema: GraphQLSchema, book: ProcedureBook) -> None:
        self._schema = schema
        self._book = book
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        plans = self._plans
        if key in plans:
            plans.move_to_end(key)
            return plans[key]
        try:
            found = plan(self._schema, query, operation_name, self._book)
        except Exception:
            # A planner bug must not fail the request, nor every later one with this
            # document: logged once, remembered as not planned, the general path answers.
            log.exception("planning failed; the general path answers this document")
            found = None
        plans[key] = found
        if len(plans) > self.MAXSIZE:
            plans.popitem(last=False)
        return found
