"""Exit effects, applied in the same transaction as the stage that causes them, each
with the change event the national system must receive.
"""

from __future__ import annotations

from collections.abc import Sequence

from api.db.models import (
    CountyDesignationRow,
    ExitApplication,
    Household,
    VillageDesignationRow,
)
from api.domain.procedures import (
    Effect,
)
from api.domain.register import EXITED, ExitAttribute, SubjectKind
from api.errors import (
    InvalidTransition,
)
from api.services import outbox, statistics
from api.services.workflow import (
    Env,
    china_today,
)


async def apply_effects(env: Env, application: ExitApplication, effects: Sequence[Effect]) -> None:
    """Apply exit effects and write, in the same transaction, what the national system
    must be told."""
    for effect in effects:
        if effect is Effect.DEREGISTER_HOUSEHOLD:
            household = await env.session.get(Household, application.household_id)
            assert household is not None
            if household.exit_attribute in EXITED:
                raise InvalidTransition(f"household {household.registry_no} has exited already")
            await statistics.years_set(
                env.session, household.id, exited_year=application.year, returned_year=None
            )
            household.exit_attribute = ExitAttribute.EXITED_SUPPORTED
            household.exited_year = application.year
            household.returned_year = None
            await outbox.emit(
                env.session,
                kind=outbox.ChangeKind.HOUSEHOLD_DEREGISTERED,
                subject_kind="household",
                subject_key=household.registry_no,
                unit_code=household.village_code,
                now=env.now,
                payload={
                    "registryNo": household.registry_no,
                    "exitAttribute": household.exit_attribute.value,
                    "exitedYear": household.exited_year,
                },
            )
        elif effect is Effect.MARK_VILLAGE_EXITED:
            village = await env.session.get(VillageDesignationRow, application.subject_key)
            assert village is not None
            await _mark_exited(env, application, village, outbox.ChangeKind.VILLAGE_EXIT_MARKED)
        elif effect is Effect.APPROVE_COUNTY_EXIT:
            county = await env.session.get(CountyDesignationRow, application.subject_key)
            assert county is not None
            await _mark_exited(
                env,
                application,
                county,
                outbox.ChangeKind.COUNTY_EXIT_APPROVED,
                designation=county.designation.value,
            )


async def revoke_effects(
    env: Env,
    application: ExitApplication,
    effects: Sequence[Effect],
    *,
    cause: dict[str, object],
) -> None:
    """Undo an exit's effects (a failed spot check found it wrong) and tell the national
    system: the household is registered poor again, or the village's exit mark is lifted.
    ``cause`` (the spot check and what failed) goes into the event."""
    for effect in effects:
        if effect is Effect.DEREGISTER_HOUSEHOLD:
            household = await env.session.get(Household, application.household_id)
            assert household is not None
            exited_year = household.exited_year
            await statistics.years_set(env.session, household.id, exited_year=None)
            household.exit_attribute = ExitAttribute.NOT_EXITED
            household.exited_year = None
            payload: dict[str, object] = {
                "registryNo": household.registry_no,
                "exitAttribute": household.exit_attribute.value,
                "revokedExitYear": exited_year,
            }
            unit = household.village_code
        elif effect is Effect.MARK_VILLAGE_EXITED:
            village = await env.session.get(VillageDesignationRow, application.subject_key)
            assert village is not None
            payload = {
                "villageCode": village.village_code,
                "revokedExitedOn": village.exited_on.isoformat() if village.exited_on else None,
            }
            village.exited_on = None
            unit = village.village_code
            await statistics.subject_exited(
                env.session, SubjectKind.VILLAGE, unit, application.year, revoked=True
            )
        else:
            raise InvalidTransition(f"a spot check does not revoke {effect}")
        await outbox.emit(
            env.session,
            kind=outbox.ChangeKind.EXIT_REVOKED,
            subject_kind=str(application.subject_kind),
            subject_key=application.subject_key,
            unit_code=unit,
            now=env.now,
            payload={**payload, "year": application.year, **cause},
        )


async def _mark_exited(
    env: Env,
    application: ExitApplication,
    designation_row: VillageDesignationRow | CountyDesignationRow,
    kind: outbox.ChangeKind,
    **extra: str,
) -> None:
    """Set a designated village's or county's exit date and tell the national system."""
    code = application.subject_key
    if designation_row.exited_on is not None:
        raise InvalidTransition(f"{application.subject_kind} {code} has exited already")
    designation_row.exited_on = china_today(env.now)
    await statistics.subject_exited(env.session, application.subject_kind, code, application.year)
    await outbox.emit(
        env.session,
        kind=kind,
        subject_kind=str(application.subject_kind),
        subject_key=code,
        unit_code=code,
        now=env.now,
        payload={
            f"{application.subject_kind}Code": code,
            "exitedOn": designation_row.exited_on.isoformat(),
            "year": application.year,
            **extra,
        },
    )
