"""Opaque keyset cursors: base64 of the sort key, checked on the way back in."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from api.errors import ValidationFailed
from api.resolvers.ids import parse_id


def encode(*parts: str | int) -> str:
    raw = "\x1f".join(str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_household(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        code, ident = raw.split("\x1f")
        number = parse_id(ident)
        if not code.isascii() or not code.isdigit() or len(code) > 12 or number is None:
            raise ValueError(raw)
        return code, number
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed("the cursor is not one this API gave out", path=("after",)) from None


def decode_application(cursor: str, *, by_update: bool) -> tuple[datetime, int] | tuple[int]:
    """An application cursor for the ordering it was issued under."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = raw.split("\x1f")
        number = parse_id(parts[-1])
        if number is not None and by_update and len(parts) == 2:
            at = datetime.fromisoformat(parts[0])
            if at.tzinfo is None:
                raise ValueError(raw)
            return at, number
        if number is not None and not by_update and len(parts) == 1:
            return (number,)
        raise ValueError(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed(
            "the cursor is not one this API gave out for this ordering", path=("after",)
        ) from None


def decode_id(cursor: str) -> int:
    """A cursor that carries one id (id-ordered pages)."""
    position = decode_application(cursor, by_update=False)
    assert len(position) == 1
    return position[0]
