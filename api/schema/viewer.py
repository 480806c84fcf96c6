"""``viewer``: who I am, and what waits for me."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.db.repositories import jurisdictions as jurisdiction_repo
from api.domain.roles import ROLES, Role
from api.errors import ValidationFailed
from api.resolvers import applications as application_resolvers
from api.resolvers.context import Context
from api.schema.procedures import ExitApplication
from api.schema.types import Jurisdiction
from api.services import inbox

Info = strawberry.Info[Context, None]


@strawberry.type(description="A role held in a unit.")
class Holding:
    role: Role
    jurisdiction_code: str
    granted_at: datetime


@strawberry.type(description="The signed-in official.")
class Viewer:
    subject: str
    role: Role
    role_label: str
    jurisdiction_code: str = strawberry.field(description="Empty for national roles.")

    @strawberry.field
    async def jurisdiction(self, info: Info) -> Jurisdiction | None:
        if not self.jurisdiction_code:
            return None
        row = await info.context.loaders.jurisdiction.load(self.jurisdiction_code)
        return None if row is None else Jurisdiction.of(row)

    @strawberry.field(description="Every role I hold, as recorded; the token acts as one.")
    async def holdings(self, info: Info) -> list[Holding]:
        rows = await info.context.read(lambda s: jurisdiction_repo.holdings_of(s, self.subject))
        return [
            Holding(role=r.role, jurisdiction_code=r.jurisdiction_code, granted_at=r.granted_at)
            for r in rows
        ]

    @strawberry.field(
        description="Applications waiting on a stage my role performs in my jurisdiction, "
        "oldest first. `nextStep.notBefore` is a running notice's end."
    )
    async def inbox(self, info: Info, first: int = 20) -> list[ExitApplication]:
        if not 0 < first <= 100:
            raise ValidationFailed("first must be between 1 and 100", path=("first",))
        principal = info.context.principal
        assert principal is not None
        households = application_resolvers.asks(info, (), "household")
        found = await info.context.read(
            lambda s: inbox.inbox(
                s, info.context.book, principal, first=first, households=households
            )
        )
        rows = [row for row, _ in found]
        if households:
            info.context.prefetched_households.update(
                {
                    row.subject_key: household
                    for row, household in found
                    if row.subject_kind == "household"
                }
            )
        await application_resolvers.prefetch(info, rows, (), households=not households)
        return [ExitApplication.of(row) for row in rows]


def viewer_of(info: Info) -> Viewer | None:
    principal = info.context.principal
    if principal is None:
        return None
    return Viewer(
        subject=principal.subject,
        role=principal.role,
        role_label=ROLES[principal.role].zh,
        jurisdiction_code=principal.jurisdiction,
    )
