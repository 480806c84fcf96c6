"""Bounds on what a request may bring: its headers and its body, declared or streamed.

Refusals are JSON in the shape of every GraphQL error, with ``extensions.code``.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.request_id import note_refusal

MAX_HEADER_BYTES = 8 * 1024
"""One header's value: a bearer token from any identity provider fits in far less."""
MAX_HEADERS_BYTES = 32 * 1024
"""All headers together, names and values."""


def error_response(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    note_refusal(code)  # counted in the metrics by ObserveRequests
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return Response(body, status, headers=headers, media_type="application/json")


class HeaderSizeLimit:
    """431 for a header over MAX_HEADER_BYTES or headers over MAX_HEADERS_BYTES, before
    anything reads them (a 200 KB token would otherwise be decoded and verified)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            longest = max((len(value) for _, value in headers), default=0)
            total = sum(len(name) + len(value) for name, value in headers)
            if longest > MAX_HEADER_BYTES or total > MAX_HEADERS_BYTES:
                message = (
                    f"request headers over {MAX_HEADER_BYTES} bytes each "
                    f"or {MAX_HEADERS_BYTES} in all"
                )
                await error_response(431, message, "HEADERS_TOO_LARGE")(scope, receive, send)
                return
        await self._app(scope, receive, send)


UPLOAD_OVERHEAD = 1024 * 1024
"""Room in a multipart request beside its file: the operation, the map, part headers."""


class BodySizeLimit:
    """413 for a body over ``max_bytes``, declared or streamed; a multipart upload to
    /graphql that carries a token may bring ``max_upload_bytes`` (an evidence file: its
    own limit is checked exactly as it is received, api/services/evidence_files.py)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int = 0) -> None:
        self._app = app
        self._max = max_bytes
        self._max_upload = max(max_bytes, max_upload_bytes)

    def _limit(self, scope: Scope, headers: dict[bytes, bytes]) -> int:
        if (
            scope["path"] == "/graphql"
            and headers.get(b"content-type", b"").startswith(b"multipart/form-data")
            and b"authorization" in headers
        ):
            return self._max_upload
        return self._max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self._limit(scope, headers)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(limit, scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self._app(scope, counted, send)
        except _TooLarge:
            await self._too_large(limit, scope, receive, send)

    async def _too_large(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"request body over {limit} bytes"
        await error_response(413, message, "PAYLOAD_TOO_LARGE")(scope, receive, send)


class _TooLarge(Exception):
    pass
