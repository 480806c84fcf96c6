"""Evidence files: which documents are accepted, known by their bytes, and how one is named.

A file is content-addressed: its SHA-256, computed by the server while it is received, is
its identity, and it is what a stage's evidence cites (``EvidenceInput.sha256``). The
reference an uploaded file is cited by is ``tuopin:file:<sha256>``.

What a file is comes from its first bytes, never from the name or the type the client
sends: a PDF, a JPEG or PNG photograph (a signed paper, scanned), or an OFD document (版式
文档, GB/T 33190, China's e-government format: a ZIP whose first entry is ``OFD.xml``).
"""

from __future__ import annotations

import re
import struct
import unicodedata
from dataclasses import dataclass

ACCEPTED = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/ofd": "OFD",
}
"""Media types accepted as evidence, with the name an error message gives them."""

SNIFF_BYTES = 64
"""How much of the start of a file ``sniff`` needs."""

REFERENCE_PREFIX = "tuopin:file:"

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ZIP_ENTRY = b"PK\x03\x04"


def sniff(head: bytes) -> str | None:
    """The accepted media type the file starting with ``head`` is, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(_ZIP_ENTRY) and len(head) >= 30:
        (name_length,) = struct.unpack_from("<H", head, 26)
        if head[30 : 30 + name_length] == b"OFD.xml":
            return "application/ofd"
    return None


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


def reference_of(sha256: str) -> str:
    """What evidence citing the stored file gives as its reference."""
    return f"{REFERENCE_PREFIX}{sha256}"


def download_path(sha256: str) -> str:
    return f"/files/{sha256}"


MAX_NAME = 200


def clean_name(name: str | None) -> str:
    """The file's name as shown beside it: its last path part, without control or
    format characters, at most ``MAX_NAME`` characters; "" when nothing is left."""
    if not name:
        return ""
    last = re.split(r"[\\/]", name)[-1]
    kept = "".join(c for c in last if unicodedata.category(c)[0] != "C").strip()
    return kept[:MAX_NAME]


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int

    def describe(self) -> str:
        kinds = ", ".join(ACCEPTED.values())
        return f"{kinds}; at most {self.max_bytes:,} bytes"
