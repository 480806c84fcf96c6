"""Names a request's GraphQL operation for its metrics and its log line.

Operation names are the client's to choose, so they are bounded before they become
metric labels: a document that does not parse or validate is ``invalid``, an unnamed
operation ``anonymous``, and after ``MAX_NAMES`` distinct names in a process (or for a
name over ``MAX_LENGTH``) ``other``. The log line keeps the true name.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from api.observability.request_id import current

ANONYMOUS = "anonymous"
INVALID = "invalid"
OTHER = "other"
MAX_NAMES = 100
MAX_LENGTH = 64
_known: set[str] = set()


def label(name: str | None) -> str:
    """The metric label for an operation of a valid document."""
    if not name:
        return ANONYMOUS
    if name in _known:
        return name
    if len(name) > MAX_LENGTH or len(_known) >= MAX_NAMES:
        return OTHER
    _known.add(name)
    return name


class OperationNames(SchemaExtension):
    """Writes the operation's name and type into the request's record, once the
    document has validated (hooks per operation, none per field)."""

    def on_operation(self) -> Iterator[None]:
        record = current.get()
        if record is not None:
            record.operation_name = None
            record.operation_type = None
        yield

    def on_validate(self) -> Iterator[None]:
        yield
        record = current.get()
        context = self.execution_context
        if record is None or context.pre_execution_errors:
            return
        try:
            kind = context.operation_type.value
        except RuntimeError:
            return  # the named operation is not in the document: graphql-core says so
        record.operation_type = kind
        record.operation_name = context.operation_name or ""
