"""Root query."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.db.repositories import jurisdictions as jurisdiction_repo
from api.db.repositories import standards as standard_repo
from api.domain.jurisdictions import validate_code
from api.domain.notices import NoticeKey
from api.domain.years import check_year
from api.resolvers import households as household_resolvers
from api.schema import changes as change_schema
from api.schema import connections, notices
from api.schema import labels as label_schema
from api.schema import spot_checks as spot_check_schema
from api.schema.changes import ChangePage
from api.schema.connections import (
    ApplicationConnection,
    ApplicationFilterInput,
    ApplicationOrder,
)
from api.schema.details import PovertyStandard
from api.schema.labels import EnumLabels, Language
from api.schema.notices import Notice, PostedNoticePage
from api.schema.pagination import PageInfo
from api.schema.permissions import SIGNED_IN
from api.schema.spot_checks import SpotCheckPage
from api.schema.types import Household, HouseholdEdge, Info, Jurisdiction, household_page_info
from api.schema.viewer import Viewer, viewer_of
from api.schema.webhooks import WebhookSubscriptionType, subscriptions


@strawberry.type(description="Households a search found, in (village, id) order.")
class HouseholdSearchConnection:
    edges: list[HouseholdEdge]
    page_info: PageInfo


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(
        description="Any object by its global ID; null if it does not exist or you may not see it."
    )

    @strawberry.field(
        description="Every enum's label and its values' labels: in `language`, else as "
        "the request's Accept-Language prefers (en), else in Chinese. Public."
    )
    def labels(self, info: Info, language: Language | None = None) -> list[EnumLabels]:
        return label_schema.labels(language or Language(info.context.language))

    @strawberry.field(
        description="Households you may see, found by a member's name (three characters "
        "or more anywhere in the name, fewer at its start: 王, 王芳, 秀英), a member's full "
        "ID number or the household's full mobile number. Numbers are matched whole "
        "only, and shown as you may see them (masked outside the household's township). "
        "Under your jurisdiction, or a unit in it (`under`).",
        permission_classes=SIGNED_IN,
    )
    async def search_households(
        self,
        info: Info,
        query: str,
        under: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> HouseholdSearchConnection:
        page = await household_resolvers.search(
            info.context, text=query, under=under, first=first, after=after
        )
        return HouseholdSearchConnection(
            edges=[HouseholdEdge(node=Household.of(row)) for row in page.rows],
            page_info=household_page_info(page, after=after),
        )

    @strawberry.field(
        description="Exit applications you may see, with filters; keyset pages of at most 100.",
        permission_classes=SIGNED_IN,
    )
    async def applications(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: ApplicationFilterInput | None = None,
        order: ApplicationOrder = ApplicationOrder.CREATED,
    ) -> ApplicationConnection | None:
        return await connections.applications(
            info, first=first, after=after, filter=filter, order=order
        )

    @strawberry.field(
        description="Notices posted right now (public, no token needed), oldest first."
    )
    async def posted_notices(
        self, info: Info, under: str | None = None, first: int = 20, after: str | None = None
    ) -> PostedNoticePage:
        return await notices.posted_notices(info, under=under, first=first, after=after)

    @strawberry.field(
        description="A notice by its number (as its pdfUrl carries it): for the public while "
        "it is on the board; for officials whose jurisdiction contains its unit, always. "
        "Null otherwise."
    )
    async def notice(self, info: Info, number: str) -> Notice | None:
        key = NoticeKey.parse(number)
        found = None if key is None else await info.context.loaders.notice.load(key)
        return None if found is None else Notice.of(found)

    @strawberry.field(
        description="Integrators: changes after a cursor, in commit order (at most 1,000).",
        permission_classes=SIGNED_IN,
    )
    async def changes(
        self,
        info: Info,
        after: str | None = None,
        first: int = 100,
        kinds: list[str] | None = None,
        under: str | None = None,
    ) -> ChangePage | None:
        return await change_schema.changes(info, after=after, first=first, kinds=kinds, under=under)

    @strawberry.field(
        description="Spot checks (抽查) in your jurisdiction, newest first, with frame, seed, "
        "sample and findings (township, county, municipal and provincial officials, inspectors).",
        permission_classes=SIGNED_IN,
    )
    async def spot_checks(
        self, info: Info, under: str | None = None, first: int = 20, after: str | None = None
    ) -> SpotCheckPage | None:
        return await spot_check_schema.page(info, under=under, first=first, after=after)

    @strawberry.field(
        description="Integrators: webhook subscriptions in your jurisdiction.",
        permission_classes=SIGNED_IN,
    )
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscriptionType] | None:
        return await subscriptions(info)

    @strawberry.field(
        description="The signed-in official; null for the public (no token, or a token "
        "whose holding is not recorded), the one read that says so without an error."
    )
    def viewer(self, info: Info) -> Viewer | None:
        return viewer_of(info)

    @strawberry.field(description="The provinces: the roots of the jurisdiction tree.")
    async def provinces(self, info: Info) -> list[Jurisdiction]:
        rows = await info.context.read(jurisdiction_repo.roots)
        return [Jurisdiction.of(row) for row in rows]

    @strawberry.field(description="Poverty lines in force for a year, with their sources.")
    async def poverty_standards(self, info: Info, year: int) -> list[PovertyStandard]:
        check_year(year)
        rows = await info.context.read(lambda s: standard_repo.standards_of_year(s, year=year))
        return [PovertyStandard.of(row) for row in rows]

    @strawberry.field(description="One unit by its division code.")
    async def jurisdiction(self, info: Info, code: str) -> Jurisdiction | None:
        row = await info.context.loaders.jurisdiction.load(validate_code(code))
        return None if row is None else Jurisdiction.of(row)
