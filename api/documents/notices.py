"""A notice as HTML (Jinja2, every value escaped) and as PDF (WeasyPrint, Noto CJK).

The PDF is the HTML rendered for print: A4, Noto Serif CJK SC for the text and Noto
Sans CJK SC for headings, from the system's fonts (``scripts/system-deps`` installs
them, with Pango and HarfBuzz's subsetter, which WeasyPrint needs to embed CJK fonts
in well under a second rather than in half a minute).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from functools import cache
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


class _PdfCache:
    """Rendered PDFs by the SHA-256 of their HTML: a notice on the board is fetched by
    many and changes rarely, and rendering one costs a few hundred milliseconds."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> bytes | None:
        with self._lock:
            found = self._items.get(digest)
            if found is not None:
                self._items.move_to_end(digest)
            return found

    def put(self, digest: str, pdf: bytes) -> None:
        with self._lock:
            self._items[digest] = pdf
            self._items.move_to_end(digest)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_PDFS = _PdfCache(PDF_CACHE_SIZE)


def render_pdf(html: str) -> bytes:
    """The PDF of a notice's HTML. Blocking and CPU-bound: call it in a worker thread."""
    digest = hashlib.sha256(html.encode()).hexdigest()
    cached = _PDFS.get(digest)
    if cached is not None:
        return cached
    pdf = _weasyprint(html)
    _PDFS.put(digest, pdf)
    return pdf


def _weasyprint(html: str) -> bytes:
    # Imported on first use: WeasyPrint loads Pango and fontconfig, which every other
    # command (migrations, the CLI, GraphQL alone) has no need of.
    from weasyprint import HTML, URLFetcher

    # The HTML names no outside resource; refuse any all the same (no file://, no http).
    fetcher: Any = URLFetcher(allowed_protocols=())
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
