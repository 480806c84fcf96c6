"""Relay-style page info shared by every connection."""

from __future__ import annotations

import strawberry


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = strawberry.field(
        default=False,
        description="Whether rows come before this page: true for a page asked for after a "
        "cursor (the rows that cursor followed).",
    )
    start_cursor: str | None = strawberry.field(
        default=None, description="The first row's cursor; null for an empty page."
    )
