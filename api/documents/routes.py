"""GET /notices/<number>.pdf and .html: a notice's documents, read under the rules of
``api/services/notices.py`` (the public: while the notice is on the board)."""

from __future__ import annotations

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.documents.notices import render_html, render_pdf
from api.domain.notices import NoticeKey
from api.domain.roles import Principal
from api.resolvers.context import application_global_id
from api.services import access, notices

_HEADERS = {
    # The answer depends on the token and on the clock (a notice leaves the board).
    "Cache-Control": "no-store",
    "Vary": "Authorization",
    "X-Content-Type-Options": "nosniff",
}
NOT_FOUND = "no such notice on the board, or not one you may read"


async def notice_pdf(request: Request) -> Response:
    html = await _html(request)
    if html is None:
        return _not_found()
    pdf = await anyio.to_thread.run_sync(render_pdf, html, limiter=request.app.state.pdf_renders)
    number = request.path_params["number"]
    headers = {**_HEADERS, "Content-Disposition": f'inline; filename="notice-{number}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


async def notice_html(request: Request) -> Response:
    html = await _html(request)
    if html is None:
        return _not_found()
    return Response(html, media_type="text/html; charset=utf-8", headers=_HEADERS)


async def _html(request: Request) -> str | None:
    key = NoticeKey.parse(request.path_params["number"])
    if key is None:
        return None
    state = request.app.state
    async with state.read_sessions() as session:
        principal = await recorded_principal(request, session)
        notice = await notices.find(
            session,
            key,
            principal=principal,
            now=state.clock(),
            reference=application_global_id,
        )
    return None if notice is None else render_html(notice)


async def recorded_principal(request: Request, session: AsyncSession) -> Principal | None:
    """The token's principal while its holding is recorded (as for GraphQL); else None."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    if principal is None:
        return None
    held = await access.recorded(session, request.app.state.authorizer, principal)
    return principal if held else None


def _not_found() -> Response:
    return PlainTextResponse(NOT_FOUND, status_code=404, headers=_HEADERS)
