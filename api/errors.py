"""The domain error tree.

Services raise these; entry points (GraphQL, CLI) translate them. Nothing here
imports a framework.

    TuopinError
    ├── ConfigurationError      settings are invalid or a production secret is missing
    ├── ValidationFailed        input is malformed; carries the field path
    ├── NotFound                no such subject, or not visible to the caller
    └── NotPermitted            visible, but the caller's role may not do this
"""

from __future__ import annotations


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
