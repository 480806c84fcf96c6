"""The integrators' change feed over GraphQL."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.db.models import OutboxEvent, SyncAck
from api.resolvers import cursors
from api.resolvers.context import Context
from api.schema.errors import AnyError
from api.schema.pagination import PageInfo
from api.services import sync

Info = strawberry.Info[Context, None]


@strawberry.type(description="One change the national system must know, in commit order.")
class Change:
    position: int = strawberry.field(description="Global, monotonic, stable across restarts.")
    event_id: str
    kind: str
    schema_version: int
    subject_kind: str
    subject_key: str
    unit_code: str
    payload: JSON
    created_at: datetime

    @classmethod
    def of(cls, row: OutboxEvent) -> Change:
        return cls(
            position=row.position,
            event_id=row.event_id,
            kind=row.kind,
            schema_version=row.schema_version,
            subject_kind=row.subject_kind,
            subject_key=row.subject_key,
            unit_code=row.unit_code,
            payload=row.payload,  # type: ignore[arg-type]  # JSON is a scalar alias
            created_at=row.created_at,
        )


@strawberry.type
class ChangePage:
    changes: list[Change]
    page_info: PageInfo


@strawberry.type(description="The national system's answer to one change.")
class SyncAnswer:
    position: int
    accepted: bool
    reason: str | None
    at: datetime

    @classmethod
    def of(cls, row: SyncAck) -> SyncAnswer:
        return cls(position=row.position, accepted=row.accepted, reason=row.reason, at=row.at)


@strawberry.type(description="Where a subject stands with the national system.")
class SyncStatus:
    last_change: Change
    answer: SyncAnswer | None = strawberry.field(description="Null while awaiting an answer.")


@strawberry.type
class AcknowledgeChangeSuccess:
    answer: SyncAnswer


AcknowledgeChangePayload = Annotated[
    AcknowledgeChangeSuccess | AnyError,
    strawberry.union("AcknowledgeChangePayload"),
]


@strawberry.input
class AcknowledgeChangeInput:
    position: int
    accepted: bool
    reason: str | None = None


async def changes(
    info: Info, *, after: str | None, first: int, kinds: list[str] | None, under: str | None
) -> ChangePage:
    principal = info.context.principal
    if principal is None:
        return ChangePage(changes=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
    position = 0 if after is None else cursors.decode_id(after)
    page = await info.context.write(
        lambda env: sync.changes(
            env, principal, after=position, first=first, kinds=kinds or [], under=under
        )
    )
    items = [Change.of(row) for row in page.events]
    end = cursors.encode(items[-1].position) if items else after
    return ChangePage(
        changes=items,
        page_info=PageInfo(
            has_next_page=page.has_next,
            end_cursor=end,
            has_previous_page=after is not None,
            start_cursor=cursors.encode(items[0].position) if items else None,
        ),
    )
