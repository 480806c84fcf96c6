"""What the public may read: notices posted right now, as a notice board shows them, and
each notice (公示/公告) as a document. Officials also read their units' past notices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.db.repositories import applications as app_repo
from api.documents.notices import render_html
from api.domain import notices as domain
from api.domain.jurisdictions import validate_code
from api.domain.notices import NoticeKey, NoticeKind
from api.domain.register import SubjectKind
from api.errors import ValidationFailed
from api.resolvers import cursors
from api.resolvers.context import Context
from api.schema.pagination import PageInfo
from api.schema.types import Jurisdiction

Info = strawberry.Info[Context, None]

DOCUMENT_PATH = "/notices/{key}.{format}"
"""Where ``api/app.py`` serves a notice's documents."""


@strawberry.type(description="A subject as the notice shows it: no ID numbers, no phones.")
class NoticeSubject:
    application_id: relay.GlobalID = strawberry.field(
        description="异议受理编号: pass to raiseObjection while the notice runs."
    )
    subject_kind: SubjectKind
    name: str = strawberry.field(
        description="The household head's name; a village's or county's place name."
    )
    villager_group: str | None
    unit_code: str


@strawberry.type(description="A notice rendered for reading.")
class NoticeDocument:
    html: str = strawberry.field(
        description="A complete HTML page (UTF-8, every value escaped), as the PDF prints it."
    )


@strawberry.type(
    description="公示/公告: one list's subjects posted at one notice stage on one day "
    "(China time). The public reads it while it is on the board; officials whose "
    "jurisdiction contains its unit read it, and their past ones, as posted."
)
class Notice(relay.Node):
    key: relay.NodeID[str]
    notice: strawberry.Private[domain.Notice]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Notice | None]:
        keys = [NoticeKey.parse(n) for n in node_ids]
        found = await info.context.loaders.notice.load_many([k for k in keys if k is not None])
        by_key = {n.key: cls.of(n) for n in found if n is not None}
        return [None if k is None else by_key.get(k) for k in keys]

    @classmethod
    def of(cls, notice: domain.Notice) -> Notice:
        return cls(key=str(notice.key), notice=notice)

    @strawberry.field(description="The notice's reference, as its URLs carry it.")
    def number(self) -> str:
        return self.key

    @strawberry.field
    def kind(self) -> NoticeKind:
        return self.notice.kind

    @strawberry.field(description="The notice stage's code.")
    def stage(self) -> str:
        return self.notice.stage.code

    @strawberry.field(description="The notice stage's Chinese name (村内公示, 公告退出...).")
    def stage_zh(self) -> str:
        return self.notice.stage.zh

    @strawberry.field(description="The unit the notice is posted for (its list's unit).")
    def unit_code(self) -> str:
        return self.notice.unit_code

    @strawberry.field(description="The unit's full name: 黑龙江省齐齐哈尔市拜泉县三道镇合心村.")
    def unit_name(self) -> str:
        return self.notice.unit_name

    @strawberry.field
    def title(self) -> str:
        return self.notice.title

    @strawberry.field(description="The opening paragraph.")
    def intro(self) -> str:
        return self.notice.intro

    @strawberry.field(description="The day it was posted, in China.")
    def starts_on(self) -> date:
        return self.notice.starts_on

    @strawberry.field(description="The day it ends, in China; null without a period.")
    def ends_on(self) -> date | None:
        return self.notice.ends_on

    @strawberry.field(description="Null for an announcement without a period (Heilongjiang).")
    def notice_days(self) -> int | None:
        return self.notice.days

    @strawberry.field(description="公示期：2016年10月8日至2016年10月15日，共7天。")
    def period(self) -> str:
        return self.notice.period

    @strawberry.field(description="The subjects in the order the notice lists them.")
    def subjects(self) -> list[NoticeSubject]:
        return [
            NoticeSubject(
                application_id=relay.GlobalID("ExitApplication", str(row.subject.application_id)),
                subject_kind=row.subject.kind,
                name=row.cells[0],
                villager_group=row.subject.villager_group,
                unit_code=row.subject.path[-1].code,
            )
            for row in self.notice.rows
        ]

    @strawberry.field(
        description="How to object: the responsible units and the online channel "
        "(raiseObjection), as paragraphs."
    )
    def how_to_object(self) -> list[str]:
        return list(self.notice.objection)

    @strawberry.field(description="The bodies that take objections and verify them again.")
    def responsible_units(self) -> list[str]:
        return list(self.notice.responsible)

    @strawberry.field(description="Who signs the notice (落款).")
    def issuer(self) -> str:
        return self.notice.issuer

    @strawberry.field
    def document(self) -> NoticeDocument:
        return NoticeDocument(html=render_html(self.notice))

    @strawberry.field(description="The PDF (A4, Noto CJK), under the same rules as this field.")
    def pdf_url(self) -> str:
        return DOCUMENT_PATH.format(key=self.key, format="pdf")

    @strawberry.field(description="The HTML page, under the same rules as this field.")
    def html_url(self) -> str:
        return DOCUMENT_PATH.format(key=self.key, format="html")


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
    list_id: strawberry.Private[int]

    @strawberry.field(description="The unit the subject belongs to.")
    async def unit(self, info: Info) -> Jurisdiction | None:
        row = await info.context.loaders.jurisdiction.load(self.unit_code)
        return None if row is None else Jurisdiction.of(row)

    @strawberry.field(description="The notice of the whole list this subject is posted on.")
    async def notice(self, info: Info) -> Notice | None:
        key = NoticeKey.of(self.list_id, self.stage, self.posted_at)
        found = await info.context.loaders.notice.load(key)
        return None if found is None else Notice.of(found)


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
            list_id=row.application.list_id,
        )
        for row in rows[:first]
    ]
    end = cursors.encode(rows[len(notices) - 1].application.id) if notices else None
    start = cursors.encode(rows[0].application.id) if notices else None
    return PostedNoticePage(
        notices=notices,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=end,
            has_previous_page=after is not None,
            start_cursor=start,
        ),
    )


async def notices_of(info: Info, keys: Iterable[NoticeKey]) -> list[Notice]:
    """The notices of ``keys`` the viewer may read, in order."""
    found = await info.context.loaders.notice.load_many(list(dict.fromkeys(keys)))
    return [Notice.of(n) for n in found if n is not None]
