"""Fields that need a principal: for the public they are an UNAUTHENTICATED error at
the field (its value null), never a silent empty answer. Strawberry's permission
classes carry it, so the rule sits on the field definition."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from api.errors import Unauthenticated
from api.resolvers.context import Context

PUBLIC_READS = "the jurisdiction tree, povertyStandards, postedNotices and notice"


class SignedIn(BasePermission):
    """The request carries a token whose role holding is recorded."""

    message = (
        "this field needs a token: send `Authorization: Bearer <token>` "
        f"(`tuopin tokens` prints dev tokens); without one you read {PUBLIC_READS}"
    )

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> bool:
        return info.context.principal is not None

    def on_unauthorized(self) -> None:
        raise Unauthenticated(self.message)


SIGNED_IN: list[type[BasePermission]] = [SignedIn]
