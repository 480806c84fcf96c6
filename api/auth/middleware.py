"""Bearer authentication as pure ASGI middleware.

No header: the request is the public's (principal None). A header that is not a
valid token: 401 with a GraphQL-shaped error, before any resolver runs.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth.tokens import InvalidToken
from api.domain.roles import Principal
from api.http_limits import error_response

Verifier = Callable[[str], Principal]


class BearerAuth:
    def __init__(self, app: ASGIApp, *, verify: Verifier) -> None:
        self._app = app
        self._verify = verify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization")
        principal = None
        if header is not None:
            scheme, _, token = header.decode("latin-1").partition(" ")
            try:
                if scheme.lower() != "bearer" or not token.strip():
                    raise InvalidToken("the Authorization header must be 'Bearer <token>'")
                principal = self._verify(token.strip())
            except InvalidToken as exc:
                await _unauthorized(scope, receive, send, exc.message)
                return
        scope.setdefault("state", {})["principal"] = principal
        await self._app(scope, receive, send)


async def _unauthorized(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    headers = {"www-authenticate": 'Bearer realm="tuopin"'}
    response = error_response(401, message, "UNAUTHENTICATED", headers)
    await response(scope, receive, send)
