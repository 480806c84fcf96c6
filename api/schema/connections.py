"""Keyset connections for applications; ``totalCount`` runs only when asked for."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from api.db.repositories import applications as app_repo
from api.domain.engine import Status
from api.domain.jurisdictions import validate_code
from api.domain.register import SubjectKind
from api.domain.years import check_year
from api.errors import ValidationFailed
from api.resolvers import applications as application_resolvers
from api.resolvers import cursors
from api.resolvers.context import Context
from api.schema.enums import labelled
from api.schema.pagination import PageInfo
from api.schema.procedures import ExitApplication

Info = strawberry.Info[Context, None]
MAX_PAGE = 100


class ApplicationOrder(StrEnum):
    CREATED = "created"
    LEAST_RECENTLY_UPDATED = "least_recently_updated"


labelled(
    ApplicationOrder,
    {
        ApplicationOrder.CREATED: "按创建先后",
        ApplicationOrder.LEAST_RECENTLY_UPDATED: "最久未办理的在前",
    },
    description="申请排序",
    en="Application order",
    english={
        ApplicationOrder.CREATED: "Oldest first",
        ApplicationOrder.LEAST_RECENTLY_UPDATED: "Least recently updated first",
    },
)


@strawberry.input
class ApplicationFilterInput:
    under: str | None = strawberry.field(default=None, description="A jurisdiction subtree.")
    status: list[Status] | None = None
    stage: str | None = None
    year: int | None = None
    subject_kind: SubjectKind | None = None

    def to_repo(self) -> app_repo.ApplicationFilter:
        if self.under is not None:
            validate_code(self.under)
        if self.year is not None:
            check_year(self.year, path=("filter", "year"))
        return app_repo.ApplicationFilter(
            under=self.under,
            statuses=tuple(s.value for s in self.status or ()),
            stage=self.stage,
            year=self.year,
            subject_kind=self.subject_kind.value if self.subject_kind else None,
        )


@strawberry.type
class ApplicationEdge:
    cursor: str
    node: ExitApplication


@strawberry.type
class ApplicationConnection:
    edges: list[ApplicationEdge]
    page_info: PageInfo
    where: strawberry.Private[app_repo.ApplicationFilter]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self, info: Info) -> int:
        scope = info.context.scope
        return await info.context.read(lambda s: app_repo.count(s, scope=scope, where=self.where))


async def applications(
    info: Info,
    *,
    first: int,
    after: str | None,
    filter: ApplicationFilterInput | None,
    order: ApplicationOrder,
) -> ApplicationConnection:
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}", path=("first",))
    where = (filter or ApplicationFilterInput()).to_repo()
    by_update = order is ApplicationOrder.LEAST_RECENTLY_UPDATED
    position = None if after is None else cursors.decode_application(after, by_update=by_update)
    scope = info.context.scope
    rows = await info.context.read(
        lambda s: app_repo.page(
            s, scope=scope, where=where, by_update=by_update, after=position, first=first
        )
    )
    await application_resolvers.prefetch(info, rows[:first], ("edges", "node"))
    edges = [
        ApplicationEdge(
            cursor=cursors.encode(row.updated_at.isoformat(), row.id)
            if by_update
            else cursors.encode(row.id),
            node=ExitApplication.of(row),
        )
        for row in rows[:first]
    ]
    return ApplicationConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
        ),
        where=where,
    )
