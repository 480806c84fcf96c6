"""Expected errors as schema types: every mutation returns its success or one of these.

``error_of`` maps the domain error tree (api/errors.py) to them in one place.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api import errors


@strawberry.interface(description="An expected failure; nothing was changed.")
class Error:
    message: str


@strawberry.type(description="No such subject, or it lies outside your jurisdiction.")
class NotFoundError(Error):
    kind: str
    key: str


@strawberry.type(description="Your role may not do this here.")
class NotPermittedError(Error):
    pass


@strawberry.type(description="The procedure does not allow this step now.")
class InvalidTransitionError(Error):
    pass


@strawberry.type(description="A notice is still running.")
class NoticePeriodNotElapsedError(Error):
    ends_at: datetime


@strawberry.type(description="One failing criterion of an exit standard.")
class CriterionFailure:
    criterion: str = strawberry.field(description="`subject: criterion` for list proposals")
    detail: str


@strawberry.type(description="The subject does not meet its exit standard.")
class StandardNotMetError(Error):
    criteria: list[CriterionFailure]


@strawberry.type(description="Someone else changed the subject first; reload and retry.")
class ConflictError(Error):
    pass


@strawberry.type(description="The input cannot be accepted as given.")
class ValidationFailedError(Error):
    path: list[str]


ANONYMOUS = NotPermittedError(
    message="sign in: this action needs a token whose role holding is recorded"
)


def error_of(exc: errors.TuopinError) -> Error:
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
