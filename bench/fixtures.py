"""What the benchmark reads and writes, put in place once per benchmark database.

- (a)/(c): holdings of a township official and a county official over generated units;
- (b): a fictional town in Lanshan district whose household applications have been
  walked, through the services, to 镇抽查 (the town's spot check), so the town official's
  inbox has them with four stages of history each;
- (d): thousands of Heilongjiang household applications waiting at 核实认可, each with
  the resident work team holding that may approve it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.db import models
from api.db.bulk import load_rows
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import ExitAttribute, SubjectKind
from api.domain.roles import Principal, Role
from api.generate import rows as r
from api.generate.shape import Unit, Village
from api.policy_files import standards
from api.procedure_files import book
from api.services import access, exits, registry
from api.services.exits import Env, EvidenceInput

T0 = datetime(2016, 11, 1, 9, 0, tzinfo=UTC)
YEAR = 2016
LANSHAN_TOWN = "371302198"
PERFORM_TARGET = 8_000
"""Applications prepared per write run: enough for ten seconds of 16 connections."""


def evidence(*kinds: EvidenceKind) -> list[EvidenceInput]:
    return [
        EvidenceInput(k, f"bench/{k}.pdf", hashlib.sha256(str(k).encode()).hexdigest())
        for k in kinds
    ]


async def holding(session: AsyncSession, role: Role, code: str, n: int = 1) -> Principal:
    subject = f"bench-{role}-{n}@{code or 'cn'}"
    await access.grant_bootstrap(session, subject=subject, role=role, jurisdiction=code, now=T0)
    return Principal(subject=subject, role=role, jurisdiction=code)


def principal_json(p: Principal) -> dict[str, str]:
    return {"subject": p.subject, "role": str(p.role), "jurisdiction": p.jurisdiction}


async def ready_households(session: AsyncSession, village: str) -> list[str]:
    rows = list(
        await session.scalars(
            select(models.Household)
            .where(
                models.Household.village_code == village,
                models.Household.exit_attribute == ExitAttribute.NOT_EXITED,
            )
            .order_by(models.Household.id)
        )
    )
    checks = await registry.check_households(session, rows, year=YEAR, policy=standards())
    return [h.registry_no for h in rows if checks[h.id].met]


async def _lanshan(session: AsyncSession, e: Env) -> Principal:
    """A fictional Lanshan town with eight villages, walked to the town's spot check."""
    units = [
        Unit("37", "山东省", "province", None),
        Unit("3713", "临沂市", "municipality", "37"),
        Unit("371302", "兰山区", "county", "3713"),
        Unit(LANSHAN_TOWN, "基准镇", "township", "371302"),
    ]
    villages = [Village(f"{LANSHAN_TOWN}{n:03d}", 80) for n in range(1, 9)]
    units += [
        Unit(v.code, f"基准{n}村", "village", LANSHAN_TOWN) for n, v in enumerate(villages, 1)
    ]
    known = set(await session.scalars(select(models.Jurisdiction.code)))
    for unit in units:
        if unit.code not in known:
            session.add(
                models.Jurisdiction(
                    code=unit.code, name=unit.name, level=unit.level, parent_code=unit.parent
                )
            )
    await session.flush()
    top = await session.scalar(select(models.Household.id).order_by(models.Household.id.desc()))
    batch = r.Batch()
    rows = r.CountyRows(20161101, "371302", int(top or 0) + 1)
    for village in villages:
        rows.village(batch, village)
    connection = await session.connection()
    for name in r.ORDER:
        if name not in ("jurisdictions", "county_designations"):  # the units are added above
            await load_rows(connection, name, r.COLUMNS[name], batch.tables[name])
    town = await holding(session, Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)
    flow = book().for_unit(LANSHAN_TOWN).for_kind(SubjectKind.HOUSEHOLD)
    for village in villages:
        committees = [
            await holding(session, Role.VILLAGE_COMMITTEES, village.code, n) for n in (1, 2)
        ]
        team = await holding(session, Role.RESIDENT_WORK_TEAM, village.code)
        keys = await ready_households(session, village.code)
        if not keys:
            continue
        proposed = await exits.propose(
            e,
            committees[0],
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village.code,
            year=YEAR,
            subjects=keys,
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
        actors = {
            "verification": team,
            "village_notice": committees[1],
            "report_to_town": committees[0],
        }
        for application in proposed.applications:
            here = e
            for stage in flow.stages[1:]:
                if stage.code == "town_spot_check":
                    break
                actor = actors[stage.code]
                kinds = list(stage.evidence)
                if stage.is_notice:
                    await exits.post_notice(
                        here,
                        actor,
                        application_id=application.id,
                        stage=stage.code,
                        evidence=evidence(EvidenceKind.NOTICE_POSTING),
                    )
                    here = replace(here, now=here.now + timedelta(days=(stage.notice_days or 0)))
                    kinds = [k for k in kinds if k is not EvidenceKind.NOTICE_POSTING]
                await exits.perform(
                    here,
                    actor,
                    application_id=application.id,
                    stage=stage.code,
                    decision=Decision.APPROVE,
                    evidence=evidence(*kinds),
                )
                here = replace(here, now=here.now + timedelta(hours=1))
    return town


def env_at(session: AsyncSession) -> Env:
    return Env(session=session, authorizer=Authorizer(), book=book(), standards=standards(), now=T0)


async def _first_county(session: AsyncSession) -> tuple[str, list[str]]:
    county = await session.scalar(
        select(models.Jurisdiction.code)
        .where(models.Jurisdiction.level == "county", models.Jurisdiction.code.startswith("23"))
        .order_by(models.Jurisdiction.code)
        .limit(1)
    )
    assert county is not None, "generate data first"
    villages = list(
        await session.scalars(
            select(models.Jurisdiction.code)
            .where(
                models.Jurisdiction.level == "village",
                models.Jurisdiction.code.startswith(county),
            )
            .order_by(models.Jurisdiction.code)
        )
    )
    return county, villages


async def prepare_reads(session: AsyncSession) -> dict[str, Any]:
    """Once per database: the read fixtures (a), (b) and (c)."""
    town = await _lanshan(session, env_at(session))
    county, villages = await _first_county(session)
    township = await holding(session, Role.TOWNSHIP_GOVERNMENT, villages[0][:9])
    county_official = await holding(session, Role.COUNTY_LEADING_GROUP, county)
    household = await session.scalar(
        select(models.Household.id)
        .where(models.Household.village_code == villages[0])
        .order_by(models.Household.id)
        .limit(1)
    )
    return {
        "village": villages[0],
        "township": principal_json(township),
        "town": principal_json(town),
        "county": principal_json(county_official),
        "household": household,
    }


async def prepare_search(session: AsyncSession) -> dict[str, Any]:
    """Once per database: the name the search read (e) looks for, a member's name of
    three characters in the first county's first village."""
    _, villages = await _first_county(session)
    name = await session.scalar(
        select(models.Member.name)
        .join(models.Household, models.Household.id == models.Member.household_id)
        .where(models.Household.village_code == villages[0], func.length(models.Member.name) == 3)
        .order_by(models.Member.id)
        .limit(1)
    )
    assert name is not None, "no three-character name in the first village"
    return {"search_name": name}


async def prepare_writes(session: AsyncSession, *, target: int = PERFORM_TARGET) -> dict[str, Any]:
    """Before each run: household applications waiting at 核实认可 in villages no run has
    used yet (a run moves them on), with the holding that may approve each."""
    e = env_at(session)
    _, first_county = await _first_county(session)
    used = set(await session.scalars(select(models.ExitApplication.unit_code).distinct()))
    used.add(first_county[0])  # the village the reads page through stays as generated
    villages = await session.scalars(
        select(models.Jurisdiction.code)
        .where(models.Jurisdiction.level == "village", models.Jurisdiction.code.startswith("23"))
        .order_by(models.Jurisdiction.code)
    )
    perform: list[dict[str, Any]] = []
    for village in villages:
        if len(perform) >= target:
            break
        if village in used:
            continue
        committees = await holding(session, Role.VILLAGE_COMMITTEES, village)
        team = await holding(session, Role.RESIDENT_WORK_TEAM, village)
        keys = await ready_households(session, village)
        if not keys:
            continue
        proposed = await exits.propose(
            e,
            committees,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=YEAR,
            subjects=keys,
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
        perform += [
            {"application": a.id, "principal": principal_json(team)} for a in proposed.applications
        ]
    if len(perform) < target:
        raise SystemExit(
            f"only {len(perform)} applications could be prepared: every Heilongjiang village "
            "has been used by earlier runs; drop the benchmark database to start afresh"
        )
    kinds = (EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)
    return {
        "perform": perform,
        "evidence": [
            {"kind": i.kind.value.upper(), "reference": i.reference, "sha256": i.sha256}
            for i in evidence(*kinds)
        ],
    }
