"""What the public may read: notices posted right now, as a notice board shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from api.db.repositories import applications as app_repo
from api.domain.jurisdictions import validate_code
from api.domain.register import SubjectKind
from api.errors import ValidationFailed
from api.resolvers import cursors
from api.resolvers.context import Context
from api.schema.pagination import PageInfo
from api.schema.types import Jurisdiction

Info = strawberry.Info[Context, None]


@strawberry.type(description="A notice (公示/公告) on the board now. ID numbers never appear.")
class PostedNotice:
    application_id: relay.GlobalID = strawberry.field(
        description="Pass to raiseObjection to object while the notice runs."
    )
    subject_kind: SubjectKind
    stage: str
    unit_code: str
    head_name: str | None = strawberry.field(description="The household head, as posted.")
    villager_group: str | None
    posted_at: datetime
    ends_at: datetime

    @strawberry.field(description="The unit the subject belongs to.")
    async def unit(self, info: Info) -> Jurisdiction | None:
        row = await info.context.loaders.jurisdiction.load(self.unit_code)
        return None if row is None else Jurisdiction.of(row)


@strawberry.type
class PostedNoticePage:
    notices: list[PostedNotice]
    page_info: PageInfo


async def posted_notices(
    info: Info, *, under: str | None, first: int, after: str | None
) -> PostedNoticePage:
    if not 0 < first <= 100:
        raise ValidationFailed("first must be between 1 and 100", path=("first",))
    if under is not None:
        validate_code(under)
    position = None if after is None else cursors.decode_id(after)
    now = info.context.clock()
    rows = await info.context.read(
        lambda s: app_repo.posted_notices(s, now=now, under=under, after=position, first=first)
    )
    notices = [
        PostedNotice(
            application_id=relay.GlobalID("ExitApplication", str(row.application.id)),
            subject_kind=row.application.subject_kind,
            stage=row.application.stage,
            unit_code=row.application.unit_code,
            head_name=row.head_name,
            villager_group=row.villager_group,
            posted_at=row.application.notice_started_at,  # type: ignore[arg-type]
            ends_at=row.application.notice_ends_at,  # type: ignore[arg-type]
        )
        for row in rows[:first]
    ]
    end = cursors.encode(rows[len(notices) - 1].application.id) if notices else None
    return PostedNoticePage(
        notices=notices, page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=end)
    )
