"""The executable schema and its extensions."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import ClassVar

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    max_aliases,
    query_depth_limiter,
)
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document

from api.errors import TuopinError
from api.execution.executor import PlannedExecutor
from api.schema.mutation import Mutation
from api.schema.query import Query


def _unexpected(error: GraphQLError) -> bool:
    """Mask exceptions nobody raised on purpose.

    Parse and validation errors (no original exception) and the domain's own
    errors keep their message; anything else becomes "Unexpected error.".
    """
    original = error.original_error
    expected = (TuopinError, GlobalIDValueError, InvalidGlobalIDError)
    return original is not None and not isinstance(original, expected)


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


# The limit rules are built once: the limiter extensions build a new rule class per
# request, and the validation cache keys on the rules, so every request missed it.
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    query_depth_limiter.create_validator(12, None),
    max_aliases.create_validator(30),
]


class DocumentValidationCache(SchemaExtension):
    """Strawberry's ValidationCache, keyed by the parsed document's identity.

    ValidationCache is an lru_cache over (schema, document, rules): every lookup hashes
    the document, and graphql-core hashes an AST node by hashing every node under it,
    which cost more than the rest of validation-by-cache. ParserCache hands back the same
    document object for the same query text, so its identity is the key; an entry keeps
    its document alive, so an id is not reused while the entry is there.
    """

    _entries: ClassVar[OrderedDict[tuple[int, int, tuple[object, ...]], _Validated]] = OrderedDict()
    MAXSIZE = 256

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document = context.schema._schema, context.graphql_document
        assert document is not None
        rules = tuple(context.validation_rules)
        key = (id(schema), id(document), rules)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is document and entry[1] is schema:
            self._entries.move_to_end(key)
            errors = entry[2]
        else:
            errors = validate_document(schema, document, rules)
            self._entries[key] = (document, schema, errors)
            if len(self._entries) > self.MAXSIZE:
                self._entries.popitem(last=False)
        context.pre_execution_errors = errors
        yield


_Validated = tuple[DocumentNode, GraphQLSchema, list[GraphQLError]]


class Limits(AddValidationRules):
    """Query depth 12 and 30 aliases, as rules that stay the same from request to request."""

    def __init__(self) -> None:
        super().__init__(_LIMIT_RULES)


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=PlannedExecutor,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            IntrospectionGate,
            Limits,
            lambda: MaxTokensLimiter(max_token_count=5_000),
            lambda: ParserCache(maxsize=256),
            DocumentValidationCache,
            lambda: MaskErrors(should_mask_error=_unexpected),
        ],
    )


schema = build_schema()
