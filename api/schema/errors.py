"""Expected errors as schema types: every mutation returns its success or one of these.

``error_of`` maps the domain error tree (api/errors.py) to them, and ``code_of`` to
their codes, in one place. A payload error's ``code`` and a top-level error's
``extensions.code`` come from the same ``ErrorCode``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from api import errors
from api.observability.metrics import count_error
from api.schema.enums import LABELLED, Labelled


@strawberry.enum(
    description="What kind of failure an error is; the same in payloads and in "
    "a top-level error's extensions.code."
)
class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    """No valid token, or one whose role holding is not recorded."""
    NOT_FOUND = "NOT_FOUND"
    NOT_PERMITTED = "NOT_PERMITTED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    NOTICE_PERIOD_NOT_ELAPSED = "NOTICE_PERIOD_NOT_ELAPSED"
    STANDARD_NOT_MET = "STANDARD_NOT_MET"
    CONFLICT = "CONFLICT"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    """An argument's value is of the right type but cannot be accepted (path names it)."""
    BAD_USER_INPUT = "BAD_USER_INPUT"
    """A value does not fit its GraphQL type (a variable, a global ID, an Int over 32 bits)."""
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    """The document breaks a rule of the spec, or a limit (depth, aliases, tokens)."""
    BAD_REQUEST = "BAD_REQUEST"
    """The HTTP request itself is malformed (not JSON, no query, wrong method)."""
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    HEADERS_TOO_LARGE = "HEADERS_TOO_LARGE"
    INTERNAL = "INTERNAL"
    """A fault of the server's, logged with its traceback; the message says nothing more."""


for _member in ErrorCode:
    _member.__doc__ = None  # the docstrings above are for readers of this file

ERROR_LABELS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.UNAUTHENTICATED: ("未登录或身份未登记", "Not signed in, or the role is not recorded"),
    ErrorCode.NOT_FOUND: ("不存在或不在辖区内", "Not found, or outside your jurisdiction"),
    ErrorCode.NOT_PERMITTED: ("无权办理", "Not permitted"),
    ErrorCode.INVALID_TRANSITION: ("当前阶段不能办理", "Not possible at this stage"),
    ErrorCode.NOTICE_PERIOD_NOT_ELAPSED: ("公示期未满", "The notice period is not over"),
    ErrorCode.STANDARD_NOT_MET: ("未达到退出标准", "The exit standard is not met"),
    ErrorCode.CONFLICT: ("已被他人修改，请刷新后重试", "Changed by someone else: reload and retry"),
    ErrorCode.VALIDATION_FAILED: ("输入不符合要求", "Input not accepted"),
    ErrorCode.BAD_USER_INPUT: ("输入类型不符", "Input of the wrong type"),
    ErrorCode.GRAPHQL_PARSE_FAILED: ("查询语法错误", "Query syntax error"),
    ErrorCode.GRAPHQL_VALIDATION_FAILED: (
        "查询不合规范或超出限制",
        "Query invalid or over a limit",
    ),
    ErrorCode.BAD_REQUEST: ("请求格式错误", "Malformed request"),
    ErrorCode.PAYLOAD_TOO_LARGE: ("请求体过大", "Request body too large"),
    ErrorCode.HEADERS_TOO_LARGE: ("请求头过大", "Request headers too large"),
    ErrorCode.INTERNAL: ("服务器内部错误", "Internal server error"),
}
"""(Chinese, English) label of each code, for ``labels``: the messages themselves are
English, written for developers; a front end shows the label to its users."""

LABELLED.append(
    Labelled(
        "ErrorCode",
        "错误类别",
        "Error code",
        tuple((code.name, *ERROR_LABELS[code]) for code in ErrorCode),
    )
)


def code_of(exc: errors.TuopinError) -> ErrorCode:
    match exc:
        case errors.NotFound():
            return ErrorCode.NOT_FOUND
        case errors.NoticePeriodNotElapsed():
            return ErrorCode.NOTICE_PERIOD_NOT_ELAPSED
        case errors.InvalidTransition():
            return ErrorCode.INVALID_TRANSITION
        case errors.StandardNotMet():
            return ErrorCode.STANDARD_NOT_MET
        case errors.Conflict():
            return ErrorCode.CONFLICT
        case errors.Unauthenticated():
            return ErrorCode.UNAUTHENTICATED
        case errors.ValidationFailed():
            return ErrorCode.VALIDATION_FAILED
        case errors.NotPermitted():
            return ErrorCode.NOT_PERMITTED
    return ErrorCode.INTERNAL  # ConfigurationError and unknown kinds are not a caller's


@strawberry.interface(description="An expected failure; nothing was changed.")
class Error:
    message: str
    code: ErrorCode = strawberry.field(
        description="The same code a top-level error carries in extensions.code."
    )


@strawberry.type(description="No such subject, or it lies outside your jurisdiction.")
class NotFoundError(Error):
    kind: str
    key: str
    code: ErrorCode = ErrorCode.NOT_FOUND


@strawberry.type(description="Your role may not do this here.")
class NotPermittedError(Error):
    code: ErrorCode = ErrorCode.NOT_PERMITTED


@strawberry.type(description="The procedure does not allow this step now.")
class InvalidTransitionError(Error):
    code: ErrorCode = ErrorCode.INVALID_TRANSITION


@strawberry.type(description="A notice is still running.")
class NoticePeriodNotElapsedError(Error):
    ends_at: datetime
    code: ErrorCode = ErrorCode.NOTICE_PERIOD_NOT_ELAPSED


@strawberry.type(description="One failing criterion of an exit standard.")
class CriterionFailure:
    criterion: str = strawberry.field(description="`subject: criterion` for list proposals")
    detail: str


@strawberry.type(description="The subject does not meet its exit standard.")
class StandardNotMetError(Error):
    criteria: list[CriterionFailure]
    code: ErrorCode = ErrorCode.STANDARD_NOT_MET


@strawberry.type(description="Someone else changed the subject first; reload and retry.")
class ConflictError(Error):
    code: ErrorCode = ErrorCode.CONFLICT


@strawberry.type(description="The input cannot be accepted as given.")
class ValidationFailedError(Error):
    path: list[str]
    code: ErrorCode = ErrorCode.VALIDATION_FAILED


ANONYMOUS = NotPermittedError(
    message="sign in: this action needs a token whose role holding is recorded",
    code=ErrorCode.UNAUTHENTICATED,
)


def error_of(exc: errors.TuopinError) -> Error:
    count_error(code_of(exc), "payload")
    match exc:
        case errors.NotFound():
            return NotFoundError(message=exc.message, kind=exc.kind, key=exc.key)
        case errors.NoticePeriodNotElapsed():
            return NoticePeriodNotElapsedError(message=exc.message, ends_at=exc.ends_at)
        case errors.InvalidTransition():
            return InvalidTransitionError(message=exc.message)
        case errors.StandardNotMet():
            failures = [CriterionFailure(criterion=c, detail=d) for c, d in exc.criteria]
            return StandardNotMetError(message=exc.message, criteria=failures)
        case errors.Conflict():
            return ConflictError(message=exc.message)
        case errors.ValidationFailed():
            return ValidationFailedError(message=exc.message, path=list(exc.path))
        case errors.NotPermitted():
            return NotPermittedError(message=exc.message)
    raise exc  # ConfigurationError and unknown kinds are not a caller's to handle


ERROR_TYPES = (
    NotFoundError,
    NotPermittedError,
    InvalidTransitionError,
    NoticePeriodNotElapsedError,
    StandardNotMetError,
    ConflictError,
    ValidationFailedError,
)

AnyError = (
    NotFoundError
    | NotPermittedError
    | InvalidTransitionError
    | NoticePeriodNotElapsedError
    | StandardNotMetError
    | ConflictError
    | ValidationFailedError
)
"""Every typed error; each payload union is ``Success | AnyError``."""
