"""A notice as HTML (Jinja2, every value escaped) and as PDF (WeasyPrint, Noto CJK).

The PDF is the HTML rendered for print: A4, Noto Serif CJK SC for the text and Noto
Sans CJK SC for headings, from the system's fonts (``scripts/system-deps`` installs
them, with Pango and HarfBuzz's subsetter, which WeasyPrint needs to embed CJK fonts
in well under a second rather than in half a minute).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from api.domain.notices import KIND_ZH, Notice

TEMPLATES = Path(__file__).resolve().parent / "templates"
PDF_CACHE_SIZE = 64


@cache
def _template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("notice.html")


def render_html(notice: Notice) -> str:
    return _template().render(
        notice=notice,
        word=KIND_ZH[notice.kind],
        key=str(notice.key),
        objections=notice.days is not None,  # only a running notice takes them online
    )


@lru_cache(maxsize=PDF_CACHE_SIZE)
def render_pdf(html: str) -> bytes:
    """The PDF of a notice's HTML, the latest ones remembered: a notice on the board is
    fetched by many and changes rarely, and rendering one costs a few hundred
    milliseconds. Blocking and CPU-bound: call it in a worker thread."""
    return _weasyprint(html)


def _weasyprint(html: str) -> bytes:
    # Imported on first use: WeasyPrint loads Pango and fontconfig, which every other
    # command (migrations, the CLI, GraphQL alone) has no need of.
    from weasyprint import HTML, URLFetcher

    # The HTML names no outside resource; refuse any all the same (no file://, no http).
    fetcher: Any = URLFetcher(allowed_protocols=())
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
