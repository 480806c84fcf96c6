"""The executable schema and its extensions."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import ClassVar

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.execution.executor import PlannedExecutor
from api.observability.operations import OperationNames
from api.schema.error_reporting import ErrorCodes, log_errors
from api.schema.limits import DocumentLimits
from api.schema.mutation import Mutation
from api.schema.query import Query


class IntrospectionGate(SchemaExtension):
    """Refuses introspection unless the request's context allows it (dev mode only).

    One schema serves every app in the process (relay fields convert once), so the
    choice is made per request; the validation cache keys on the rules, so it stays correct.
    """

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not getattr(context, "introspection", False):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class DocumentValidationCache(SchemaExtension):
    """Validation in two passes, cached by the parsed document's identity.

    First the spec's rules (and the introspection gate's), so an unknown fragment or a
    cycle is reported as the spec words it; only a document that passes them is
    measured against the limits (``api.schema.limits``). Suggestions ("Did you mean
    ...?") are left out where introspection is off: they would describe the schema.

    The cache is keyed by the document's identity: Strawberry's ValidationCache hashes
    the document, and graphql-core hashes an AST node by hashing every node under it,
    which cost more than the rest of validation-by-cache. ParserCache hands back the same
    document object for the same query text; an entry keeps its document alive, so an id
    is not reused while the entry is there.
    """

    _entries: ClassVar[OrderedDict[_Key, _Validated]] = OrderedDict()
    MAXSIZE = 256

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document = context.schema._schema, context.graphql_document
        assert document is not None
        rules = tuple(context.validation_rules)
        hide = not getattr(context.context, "introspection", False)
        key = (id(schema), id(document), rules, hide)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is document and entry[1] is schema:
            self._entries.move_to_end(key)
            errors = entry[2]
        else:
            errors = validate(schema, document, rules, hide_suggestions=hide)
            if not errors:
                errors = validate(schema, document, _LIMIT_RULES)
            self._entries[key] = (document, schema, errors)
            if len(self._entries) > self.MAXSIZE:
                self._entries.popitem(last=False)
        context.pre_execution_errors = errors
        yield


_Key = tuple[int, int, tuple[object, ...], bool]
_Validated = tuple[DocumentNode, GraphQLSchema, list[GraphQLError]]
_LIMIT_RULES: list[type[ASTValidationRule]] = [DocumentLimits]


ExtensionFactory = Callable[[], SchemaExtension]
app_extensions: ContextVar[tuple[ExtensionFactory, ...]] = ContextVar(
    "tuopin_app_extensions", default=()
)
"""Extensions of one app on top of the schema's (tracing, replica reads), set by the
app's view around each request: the schema is built once per process."""


class TuopinSchema(strawberry.Schema):
    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        extensions = super().get_extensions(sync)
        extra = app_extensions.get()
        if extra:
            extensions.extend(factory() for factory in extra)
        return extensions

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema() -> strawberry.Schema:
    return TuopinSchema(
        query=Query,
        mutation=Mutation,
        execution_context_class=PlannedExecutor,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            IntrospectionGate,
            lambda: MaxTokensLimiter(max_token_count=5_000),
            lambda: ParserCache(maxsize=256),
            DocumentValidationCache,
            OperationNames,
            ErrorCodes,
        ],
    )


schema = build_schema()
