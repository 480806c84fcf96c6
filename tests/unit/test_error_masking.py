from __future__ import annotations

from graphql import GraphQLError
from strawberry.relay.types import InvalidGlobalIDError

from api.errors import NotFound
from api.schema.error_reporting import unexpected as _unexpected


def test_only_exceptions_nobody_raised_on_purpose_are_masked() -> None:
    assert _unexpected(GraphQLError("boom", original_error=KeyError("secret_column")))
    assert not _unexpected(GraphQLError("no", original_error=NotFound("Household", "1")))
    assert not _unexpected(GraphQLError("Cannot query field 'x' on type 'Query'."))
    assert not _unexpected(GraphQLError("bad id", original_error=InvalidGlobalIDError("")))
