"""Parsing the integer inside a global ID or cursor, strictly."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(value: str) -> int | None:
    """An id from ASCII digits within BIGINT range; None for anything else."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
