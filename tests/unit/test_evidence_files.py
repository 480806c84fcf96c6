"""What a file is, from its first bytes; a file's name as shown; a file's reference."""

from __future__ import annotations

import struct

import pytest

from api.domain.evidence_files import (
    clean_name,
    download_path,
    is_sha256,
    reference_of,
    sniff,
)


def _zip_entry(name: bytes) -> bytes:
    header = b"PK\x03\x04" + bytes(22) + struct.pack("<HH", len(name), 0)
    return header + name + bytes(16)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (_zip_entry(b"OFD.xml"), "application/ofd"),
        (_zip_entry(b"word/document.xml"), None),  # a ZIP, but not an OFD (a .docx)
        (b"PK\x03\x04", None),  # too short to say
        (b"GIF89a", None),
        (b"<html>", None),
        (b"", None),
        (b" %PDF-1.7", None),  # the signature must open the file
    ],
)
def test_a_file_is_what_its_first_bytes_say(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("核实表.pdf", "核实表.pdf"),
        ("C:\\Users\\村委\\scan 1.jpg", "scan 1.jpg"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b\u202ec.pdf", "abc.pdf"),
        ("  spaced.png  ", "spaced.png"),
        (None, ""),
        ("/", ""),
        ("x" * 300 + ".pdf", "x" * 200),
    ],
)
def test_a_name_is_its_last_part_without_control_characters(given: str | None, shown: str) -> None:
    assert clean_name(given) == shown


def test_a_file_is_cited_and_downloaded_by_its_hash() -> None:
    sha256 = "ab" * 32
    assert is_sha256(sha256)
    assert not is_sha256(sha256.upper())
    assert not is_sha256(sha256[:-1])
    assert not is_sha256("../" + sha256[3:])
    assert reference_of(sha256) == f"tuopin:file:{sha256}"
    assert download_path(sha256) == f"/files/{sha256}"
