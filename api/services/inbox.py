"""What waits for a viewer: open applications at a stage its role performs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.repositories import applications as app_repo
from api.db.repositories.applications import WaitingStage
from api.db.views import ApplicationView, HouseholdView
from api.domain.roles import Principal, Role
from api.procedure_files import ProcedureBook


def waiting_stages(book: ProcedureBook, role: Role) -> list[WaitingStage]:
    """Every (procedure, kind, stage[, designation branch]) that ``role`` performs."""
    found: list[WaitingStage] = []
    for procedure in book.procedures.values():
        for kind, flow in procedure.subjects.items():
            for stage in flow.stages:
                branches = tuple(str(d) for d in stage.roles_by_designation)
                if not branches:
                    if role in stage.roles:
                        found.append((procedure.code, kind.value, stage.code, None, False))
                    continue
                mine = tuple(
                    str(d) for d, roles in stage.roles_by_designation.items() if role in roles
                )
                if mine:
                    found.append((procedure.code, kind.value, stage.code, mine, False))
                if role in stage.roles:
                    found.append((procedure.code, kind.value, stage.code, branches, True))
    return found


async def inbox(
    session: AsyncSession,
    book: ProcedureBook,
    principal: Principal,
    *,
    first: int,
    households: bool = False,
) -> list[tuple[ApplicationView, HouseholdView | None]]:
    """The applications waiting on the principal; with ``households``, each household
    subject the principal may see, read in the same statement."""
    return await app_repo.waiting_on(
        session,
        scope=principal.read_scope(),
        stages=waiting_stages(book, principal.role),
        first=first,
        households=households,
    )
