"""Dynamic management: an exited household found below its standard in a later,
recorded year returns to poverty (返贫).
"""

from __future__ import annotations

from sqlalchemy import select

from api.authz.policy import Action
from api.db.models import (
    Household,
)
from api.db.repositories import households as household_repo
from api.db.repositories.scoping import in_scope
from api.domain.register import EXITED, ExitAttribute
from api.domain.roles import Principal
from api.errors import (
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from api.services import access, ledger, outbox, registry, statistics
from api.services.workflow import (
    Env,
    china_today,
    flush_or_conflict,
)


async def return_to_poverty(
    env: Env, principal: Principal, *, registry_no: str, year: int
) -> Household:
    """An exited household found below its standard in ``year`` is taken back in (返贫)."""
    household = await env.session.scalar(
        select(Household).where(
            Household.registry_no == registry_no,
            in_scope(Household.village_code, principal.read_scope()),
        )
    )
    if household is None:
        raise NotFound("household", registry_no)
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=household.village_code,
        obj="register",
        action=Action.RETURN_TO_POVERTY,
    )
    if household.exit_attribute not in EXITED or household.exited_year is None:
        raise InvalidTransition(f"household {registry_no} has not exited")
    if not household.exited_year < year <= china_today(env.now).year:
        raise ValidationFailed(
            f"a return to poverty is judged in a year after the exit ({household.exited_year}) "
            "and not in the future",
            path=("year",),
        )
    accounts = (await registry.household_accounts(env.session, [household.id], year=year))[
        household.id
    ]
    assessed = await household_repo.latest_assessments(env.session, [household.id], year=year)
    if accounts.gross == 0 or household.id not in assessed:
        raise ValidationFailed(
            f"record {year}'s income and 两不愁三保障 assessment before judging a return",
            path=("year",),
        )
    check = (
        await registry.check_households(env.session, [household], year=year, policy=env.standards)
    )[household.id]
    if check.met:
        raise InvalidTransition(
            f"household {registry_no} meets its standard in {year}; it has not returned to poverty"
        )
    await statistics.years_set(env.session, household.id, returned_year=year)
    household.exit_attribute = ExitAttribute.RETURNED_TO_POVERTY
    household.returned_year = year
    await outbox.emit(
        env.session,
        kind=outbox.ChangeKind.RETURNED_TO_POVERTY,
        subject_kind="household",
        subject_key=household.registry_no,
        unit_code=household.village_code,
        now=env.now,
        payload={
            "registryNo": household.registry_no,
            "exitAttribute": household.exit_attribute.value,
            "returnedYear": year,
        },
    )
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action="return_to_poverty",
        object_kind="household",
        object_id=household.id,
        unit_code=household.village_code,
        at=env.now,
        detail={"year": year, "failed": [c.value for c in check.failed]},
    )
    return household


# ---------------------------------------------------------------- helpers
