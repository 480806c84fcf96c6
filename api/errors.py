"""The domain error tree.

Services raise these; entry points (GraphQL, CLI) translate them. Nothing here
imports a framework.

    TuopinError
    ├── ConfigurationError      settings are invalid or a production secret is missing
    ├── ValidationFailed        input is malformed; carries the field path
    ├── NotFound                no such subject, or not visible to the caller
    ├── NotPermitted            visible, but the caller's role may not do this
    │   └── Unauthenticated     the action needs a signed-in official, and there is none
    ├── InvalidTransition       the procedure does not allow this step now
    │   └── NoticePeriodNotElapsed   a notice is still running; carries its end
    ├── StandardNotMet          the subject fails its exit standard; names each criterion
    └── Conflict                someone else changed the subject first; retry
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


class TuopinError(Exception):
    """Base of every error the domain and services raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TuopinError):
    """The service cannot start with the settings it was given."""


class ValidationFailed(TuopinError):
    """Input that can never be accepted as given.

    ``path`` names the offending field (``("members", "2", "idNumber")``) so a
    front end can put the message beside the right input.
    """

    def __init__(self, message: str, *, path: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


class NotFound(TuopinError):
    """The subject does not exist, or lies outside what the caller may see.

    The two cases are deliberately indistinguishable: "not found before forbidden".
    """

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class NotPermitted(TuopinError):
    """The caller can see the subject but its role may not perform the action."""


class Unauthenticated(NotPermitted):
    """The field or action needs a principal whose role holding is recorded."""


class InvalidTransition(TuopinError):
    """The step is not one the procedure allows from where the application stands."""


class NoticePeriodNotElapsed(InvalidTransition):
    def __init__(self, ends_at: datetime) -> None:
        super().__init__(f"the notice period runs until {ends_at.isoformat()}")
        self.ends_at = ends_at


class StandardNotMet(TuopinError):
    """The subject does not meet its exit standard. ``criteria`` are (code, detail) pairs."""

    def __init__(self, criteria: Sequence[tuple[str, str]]) -> None:
        names = ", ".join(code for code, _ in criteria)
        super().__init__(f"the exit standard is not met: {names}")
        self.criteria = tuple(criteria)


class Conflict(TuopinError):
    """A concurrent change won the race; the caller may reload and retry."""
