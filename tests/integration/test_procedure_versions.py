"""An application keeps the procedure version it started under."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import ExitAttribute, SubjectKind
from api.domain.roles import Role
from api.errors import NoticePeriodNotElapsed
from api.policy_files import standards
from api.procedure_files import PROCEDURES_DIR, load_book
from api.services import exits, registry
from tests.integration.test_procedures import eligible_households
from tests.scenarios import env, evidence, household_village, later, official


async def test_a_new_version_governs_new_applications_only(
    session: AsyncSession, tmp_path: Path
) -> None:
    village = await household_village(session)
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
    checks = await registry.check_households(session, rows, year=2016, policy=standards())
    household, *others = [h for h in rows if checks[h.id].met]

    e = env(session)
    committee = await official(session, Role.VILLAGE_COMMITTEES, village)
    team = await official(session, Role.RESIDENT_WORK_TEAM, village)
    old = (
        await exits.propose(
            e,
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=2016,
            subjects=[household.registry_no],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    ).applications[0]

    data: dict[str, Any] = yaml.safe_load((PROCEDURES_DIR / "heilongjiang.yaml").read_text("utf-8"))
    revised = copy.deepcopy(data)
    revised["version"] = 2
    revised["subjects"]["household"]["stages"][2]["notice_days"] = 10
    (tmp_path / "heilongjiang.yaml").write_text(yaml.safe_dump(revised, allow_unicode=True))
    (tmp_path / "lanshan.yaml").write_text((PROCEDURES_DIR / "lanshan.yaml").read_text("utf-8"))
    e = type(e)(
        session=session,
        authorizer=e.authorizer,
        book=load_book(tmp_path),
        standards=e.standards,
        now=e.now,
    )

    verification = evidence(EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)
    await exits.perform(
        e,
        team,
        application_id=old.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=verification,
    )
    await exits.post_notice(
        e,
        committee,
        application_id=old.id,
        stage="village_notice",
        evidence=evidence(EvidenceKind.NOTICE_POSTING),
    )
    assert old.notice_ends_at is not None
    assert (old.notice_ends_at - e.now).days == 7  # the version it started under

    assert others, "the demo should have a second eligible household in that village"
    new = (
        await exits.propose(
            e,
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=2016,
            subjects=[others[0].registry_no],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    ).applications[0]
    assert new.procedure_version_id != old.procedure_version_id
    await exits.perform(
        e,
        team,
        application_id=new.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=verification,
    )
    await exits.post_notice(
        e,
        committee,
        application_id=new.id,
        stage="village_notice",
        evidence=evidence(EvidenceKind.NOTICE_POSTING),
    )
    with pytest.raises(NoticePeriodNotElapsed):
        await exits.perform(
            later(e, days=7),
            committee,
            application_id=new.id,
            stage="village_notice",
            decision=Decision.APPROVE,
        )


async def test_authorization_follows_the_current_policy_while_stages_stay_pinned(
    session: AsyncSession, tmp_path: Path
) -> None:
    """The rule (README, "API promises"): an in-flight application keeps its procedure
    version's stages, order, evidence and notice periods, but who may act is the current
    policy's answer. 责任 rests with the office as it is now: a role the province takes
    away from a stage loses it at once, in flight or not (the seeds' 分级负责 names who
    is responsible, not who was when the list was proposed)."""
    from api.authz.enforcer import Authorizer
    from api.authz.policy import policy_text
    from api.errors import NotPermitted

    village = await household_village(session)
    (household_key,) = await eligible_households(session, village, 1)
    e = env(session)
    committee = await official(session, Role.VILLAGE_COMMITTEES, village, "pinned-c1")
    other_committee = await official(session, Role.VILLAGE_COMMITTEES, village, "pinned-c2")
    team = await official(session, Role.RESIDENT_WORK_TEAM, village, "pinned-team")
    application = (
        await exits.propose(
            e,
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=village,
            year=2016,
            subjects=[household_key],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    ).applications[0]
    pinned = application.procedure_version_id

    # The province revises its file: verification by the village committees alone, and
    # a longer notice. `tuopin policy` regenerates the policy from it.
    data: dict[str, Any] = yaml.safe_load((PROCEDURES_DIR / "heilongjiang.yaml").read_text("utf-8"))
    revised = copy.deepcopy(data)
    revised["version"] = data["version"] + 1
    stages = revised["subjects"]["household"]["stages"]
    assert stages[1]["code"] == "verification"
    stages[1]["roles"] = ["village_committees"]
    stages[2]["notice_days"] = 10
    (tmp_path / "heilongjiang.yaml").write_text(yaml.safe_dump(revised, allow_unicode=True))
    (tmp_path / "lanshan.yaml").write_text((PROCEDURES_DIR / "lanshan.yaml").read_text("utf-8"))
    revised_book = load_book(tmp_path)
    policy = tmp_path / "policy.csv"
    policy.write_text(policy_text(revised_book), encoding="utf-8")
    e = type(e)(
        session=session,
        authorizer=Authorizer(policy=str(policy)),
        book=revised_book,
        standards=e.standards,
        now=e.now,
    )
    verification = evidence(EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)
    # The work team held verification when the list was proposed; it does not now.
    with pytest.raises(NotPermitted):
        await exits.perform(
            e,
            team,
            application_id=application.id,
            stage="verification",
            decision=Decision.APPROVE,
            evidence=verification,
        )
    done = await exits.perform(
        e,
        other_committee,
        application_id=application.id,
        stage="verification",
        decision=Decision.APPROVE,
        evidence=verification,
    )
    # Its stages are still its version's: the 7-day notice, not the revised 10 days.
    assert done.procedure_version_id == pinned
    await exits.post_notice(
        e,
        committee,
        application_id=application.id,
        stage="village_notice",
        evidence=evidence(EvidenceKind.NOTICE_POSTING),
    )
    assert done.notice_ends_at is not None
    assert done.notice_started_at is not None
    assert (done.notice_ends_at - done.notice_started_at).days == 7
