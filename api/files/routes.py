"""GET /files/<sha256>: an evidence file's bytes, for those who may read it.

Those are the readers of an application whose evidence cites the file (scoped in SQL as
every read is, api/db/repositories/evidence_files.py) and its uploaders. Anyone else,
the public included, gets the same 404 as for a file that does not exist.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from api.documents.routes import recorded_principal
from api.services import evidence_files

NOT_FOUND = "no such file, or not one you may read"
MISSING = "the file's bytes are not available; try again later"
log = logging.getLogger(__name__)
_HEADERS = {
    "Cache-Control": "private, no-store",
    "Vary": "Authorization",
    "X-Content-Type-Options": "nosniff",
}


async def evidence_file(request: Request) -> Response:
    sha256 = request.path_params["sha256"]
    async with request.app.state.read_sessions() as session:
        principal = await recorded_principal(request, session)
        found = await evidence_files.downloadable(session, principal, sha256)
    if found is None:
        return PlainTextResponse(NOT_FOUND, status_code=404, headers=_HEADERS)
    try:  # opened before the answer starts: a missing file is an error, not a cut-off body
        chunks = await request.app.state.files.open(sha256)
    except FileNotFoundError:
        log.error("evidence file %s has a row but no bytes in the store", sha256)
        return PlainTextResponse(MISSING, status_code=503, headers=_HEADERS)
    name = found.name or f"{sha256}"
    headers = {
        **_HEADERS,
        "Content-Length": str(found.size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "ETag": f'"{sha256}"',
    }
    return StreamingResponse(chunks, media_type=found.media_type, headers=headers)
