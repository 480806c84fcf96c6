"""Top-level errors: each gets its ``extensions.code``; what nobody raised on purpose is
masked as "Unexpected error." (code INTERNAL) and logged with its traceback, while
expected errors are logged as one line.

Codes come from ``api.schema.errors`` (``ErrorCode``, ``code_of``), the same ones a
payload error's ``code`` field carries.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError

from api.errors import TuopinError, ValidationFailed
from api.schema.errors import ErrorCode, code_of

log = logging.getLogger("tuopin.graphql")
MASKED = "Unexpected error."
_BAD_INPUT = (GlobalIDValueError, InvalidGlobalIDError, GraphQLError)


def unexpected(error: GraphQLError) -> bool:
    """An exception nobody raised on purpose: the client sees only that there was one.

    Parse and validation errors (no original exception), coercion errors (a
    GraphQLError inside), bad global IDs and the domain's own errors are the client's.
    """
    original = error.original_error
    return original is not None and not isinstance(original, (TuopinError, *_BAD_INPUT))


def classify(error: GraphQLError, *, invalid: Sequence[GraphQLError] = ()) -> ErrorCode:
    """The code of one error; ``invalid`` are the errors validation reported."""
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError):
        return ErrorCode.GRAPHQL_PARSE_FAILED
    if isinstance(original, TuopinError):
        return code_of(original)
    if unexpected(error):
        return ErrorCode.INTERNAL
    if original is None and any(error is e for e in invalid):
        return ErrorCode.GRAPHQL_VALIDATION_FAILED
    return ErrorCode.BAD_USER_INPUT  # variables and arguments that do not fit their type


def coded(error: GraphQLError, *, invalid: Sequence[GraphQLError] = ()) -> GraphQLError:
    """The error as the client sees it: with its code, masked if unexpected."""
    extensions = error.extensions or {}
    if "code" in extensions:
        return error
    code = classify(error, invalid=invalid)
    extra: dict[str, object] = {"code": str(code)}
    original = error.original_error
    if isinstance(original, ValidationFailed) and original.path:
        extra["inputPath"] = list(original.path)
    return GraphQLError(
        MASKED if code is ErrorCode.INTERNAL else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**extensions, **extra} if code is not ErrorCode.INTERNAL else extra,
    )


class ErrorCodes(SchemaExtension):
    """Codes (and masks) every error of the result, once the operation has run."""

    _invalid: list[GraphQLError]

    def on_validate(self) -> Iterator[None]:
        yield
        self._invalid = list(self.execution_context.pre_execution_errors or ())

    def on_operation(self) -> Iterator[None]:
        self._invalid = []
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(e, invalid=self._invalid) for e in result.errors]


def log_errors(errors: Sequence[GraphQLError]) -> None:
    """Unexpected errors with their traceback; the client's mistakes as one line each."""
    for error in errors:
        if unexpected(error):
            log.error("unexpected error at %s", error.path, exc_info=error.original_error)
            continue
        original = error.original_error
        kind = code_of(original) if isinstance(original, TuopinError) else "refused"
        where = ".".join(str(p) for p in error.path) if error.path else "-"
        log.info("%s at %s: %s", kind, where, error.message)
