"""The change feed: written with each change, in commit order, replayable from any cursor."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.procedures import EvidenceKind
from api.domain.register import ExitAttribute, SubjectKind
from api.domain.roles import Role
from api.errors import NotFound, NotPermitted, ValidationFailed
from api.procedure_files import book
from api.services import exits, sync
from tests.scenarios import Cast, env, evidence, household_village, later, official, walk


async def exit_two_and_return_one(session: AsyncSession) -> str:
    village = await household_village(session)
    cast = Cast(session)
    e = env(session)
    proposer = await cast.pick(Role.VILLAGE_COMMITTEES, village)
    rows = (
        (
            await session.execute(
                select(models.Household).where(
                    models.Household.village_code == village,
                    models.Household.exit_attribute == ExitAttribute.NOT_EXITED,
                )
            )
        )
        .scalars()
        .all()
    )
    from api.policy_files import standards
    from api.services import registry

    checks = await registry.check_households(session, rows, year=2016, policy=standards())
    keys = [h.registry_no for h in rows if checks[h.id].met][:2]
    proposed = await exits.propose(
        e,
        proposer,
        kind=SubjectKind.HOUSEHOLD,
        unit_code=village,
        year=2016,
        subjects=keys,
        evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
    )
    flow = book().for_unit(village).for_kind(SubjectKind.HOUSEHOLD)
    for application in proposed.applications:
        e = await walk(e, cast, application, flow)
    exited = (
        (
            await session.execute(
                select(models.Household).where(
                    models.Household.village_code.startswith(village[:6]),
                    models.Household.exit_attribute == ExitAttribute.EXITED_SUPPORTED,
                    models.Household.exited_year == 2015,
                )
            )
        )
        .scalars()
        .all()
    )
    checks = await registry.check_households(session, exited, year=2016, policy=standards())
    below = next(h for h in exited if not checks[h.id].met)
    county = await official(session, Role.COUNTY_LEADING_GROUP, village[:6])
    await exits.return_to_poverty(e, county, registry_no=below.registry_no, year=2016)
    return village


async def test_replaying_the_feed_from_any_cursor_rebuilds_the_exit_statuses(
    session: AsyncSession,
) -> None:
    village = await exit_two_and_return_one(session)
    integrator = await official(session, Role.INTEGRATOR, "23")
    e = env(session)
    everything = (
        await sync.changes(e, integrator, after=0, first=1000, kinds=[], under=None)
    ).events
    assert [ev.position for ev in everything] == sorted(ev.position for ev in everything)
    deregistered = [ev for ev in everything if ev.kind == "household_deregistered"]
    assert len(deregistered) == 2
    assert [ev.kind for ev in everything].count("returned_to_poverty") == 1

    def replay(events: list[models.OutboxEvent], state: dict[str, str]) -> dict[str, str]:
        for ev in events:
            if ev.subject_kind == "household":
                state[ev.subject_key] = ev.payload["exitAttribute"]
        return state

    for cut in range(len(everything) + 1):
        before = replay(everything[:cut], {})
        after = (cut and everything[cut - 1].position) or 0
        page = await sync.changes(e, integrator, after=after, first=1000, kinds=[], under=None)
        rebuilt = replay(page.events, dict(before))
        rows = await session.execute(
            select(models.Household.registry_no, models.Household.exit_attribute).where(
                models.Household.registry_no.in_(list(rebuilt))
            )
        )
        held = {key: attribute for key, attribute in rows}
        assert rebuilt == {k: v.value for k, v in held.items()}
    assert all(ev.unit_code.startswith(village[:6]) for ev in deregistered)


async def test_only_integrators_read_the_feed_and_only_in_their_jurisdiction(
    session: AsyncSession,
) -> None:
    await exit_two_and_return_one(session)
    e = env(session)
    county = await official(session, Role.COUNTY_LEADING_GROUP, "230231")
    with pytest.raises(NotPermitted):
        await sync.changes(e, county, after=0, first=10, kinds=[], under=None)
    lanshan = await official(session, Role.INTEGRATOR, "371302")
    assert (await sync.changes(e, lanshan, after=0, first=10, kinds=[], under=None)).events == []
    with pytest.raises(NotPermitted):
        await sync.changes(e, lanshan, after=0, first=10, kinds=[], under="23")
    heilongjiang = await official(session, Role.INTEGRATOR, "23")
    page = await sync.changes(e, heilongjiang, after=0, first=1, kinds=[], under=None)
    assert page.has_next
    event = page.events[0]
    with pytest.raises(NotFound):
        await sync.acknowledge(e, lanshan, position=event.position, accepted=True, reason=None)
    with pytest.raises(ValidationFailed, match="says why"):
        await sync.acknowledge(e, heilongjiang, position=event.position, accepted=False, reason=" ")
    rejected = await sync.acknowledge(
        later(e, hours=1),
        heilongjiang,
        position=event.position,
        accepted=False,
        reason="身份证号与国家系统不一致",
    )
    assert rejected.accepted is False
    accepted = await sync.acknowledge(
        later(e, hours=2), heilongjiang, position=event.position, accepted=True, reason=None
    )
    assert accepted.accepted
    from api.db.repositories import changes

    status = await changes.latest_for_subjects(session, [(event.subject_kind, event.subject_key)])
    newest, answer = status[(event.subject_kind, event.subject_key)]
    assert newest.position == event.position
    assert answer is not None
    assert answer.accepted
