"""The executable schema and its extensions."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
)
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError
from strawberry.schema.config import StrawberryConfig

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
    choice is made per request; ValidationCache keys on the rules, so it stays correct.
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
# request, and ValidationCache keys on the rules, so every request missed the cache.
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    query_depth_limiter.create_validator(12, None),
    max_aliases.create_validator(30),
]


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
            lambda: ValidationCache(maxsize=256),
            lambda: MaskErrors(should_mask_error=_unexpected),
        ],
    )


schema = build_schema()
