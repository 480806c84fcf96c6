"""The request's record, carried through a contextvar so every log line has its id.

An incoming ``X-Request-Id`` is kept when it is short and made of safe characters
(a proxy's or a client's id, to follow a request across systems); otherwise the
request gets a fresh one. Either way the response echoes it.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

HEADER = "x-request-id"
MAX_LENGTH = 128
_SAFE = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_LENGTH}}}")


@dataclass(slots=True)
class RequestRecord:
    """What is known of the request so far; the GraphQL extension fills the operation."""

    request_id: str
    operation_name: str | None = None
    operation_type: str | None = None
    refusal: str | None = None
    """The ErrorCode of an HTTP-level refusal (``api.http_limits.error_response``)."""


current: ContextVar[RequestRecord | None] = ContextVar("tuopin_request", default=None)


def accepted(header: bytes | None) -> str:
    """The incoming id if it is sane, else a new one."""
    if header is not None:
        value = header.decode("latin-1")
        if _SAFE.fullmatch(value):
            return value
    return uuid.uuid4().hex


def current_id() -> str | None:
    record = current.get()
    return None if record is None else record.request_id


def note_refusal(code: str) -> None:
    record = current.get()
    if record is not None:
        record.refusal = code
