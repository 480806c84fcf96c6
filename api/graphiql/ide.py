"""The GraphiQL page (dev mode) and its assets, served from ``api/graphiql/static/``,
which ``scripts/graphiql-assets`` fills from the pinned npm packages."""

from __future__ import annotations

from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
ASSETS = {
    "graphiql.min.css": "text/css; charset=utf-8",
    "graphiql.min.js": "text/javascript; charset=utf-8",
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
}
"""The only files served: exactly what the page loads."""

DEFAULT_QUERY = """\
# tuopin (脱贫): the poverty-exit procedures API.
#
# Paste a token printed by `make run` (or `tuopin tokens`) into Headers below:
#   {"Authorization": "Bearer eyJ…"}
# Beside each token, `tuopin tokens` says what its holder can do next.
# Without a token you read the jurisdiction tree, the poverty lines and the notices
# on the board; viewer is null. Run with Ctrl-Enter or the ▶ button.

query Start {
  viewer {
    role
    roleLabel
    inbox { subjectKey currentStage { zh } nextStep { action notBefore } }
  }
  jurisdiction(code: "230231101") {
    name
    children { code name poorVillage { designation exitedOn } }
  }
  postedNotices(under: "23") {
    notices { subjectKind headName stage endsAt unit { name } }
  }
}
"""
DEFAULT_HEADERS = "{}"


def installed() -> bool:
    return all((STATIC / name).is_file() for name in ASSETS)


def page() -> HTMLResponse:
    """The page, or (assets missing) one that says which command fetches them."""
    if not installed():
        return HTMLResponse((HERE / "missing.html").read_text(encoding="utf-8"), 503)
    defaults = orjson.dumps({"query": DEFAULT_QUERY, "headers": DEFAULT_HEADERS}).decode()
    # JSON inside a <script>: a "</" in a string would end the script element.
    html = (HERE / "page.html").read_text(encoding="utf-8")
    return HTMLResponse(html.replace("__DEFAULTS__", defaults.replace("</", "<\\/")))


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None or not (STATIC / name).is_file():
        return Response("not found", 404, media_type="text/plain")
    return FileResponse(
        STATIC / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
