"""A third province's procedure is a new file plus policy lines: no code changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.authz.policy import policy_text
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import IncomeKind, SubjectKind
from api.domain.roles import Role
from api.errors import NotPermitted
from api.procedure_files import PROCEDURES_DIR, load_book
from api.services import exits
from tests import factories as f
from tests.scenarios import env, evidence, later, official

FICTIONAL = """
code: fictional
version: 1
title: 虚构省贫困户退出办法（测试用）
source: tests/integration/test_third_province.py
applies_to: ["98"]
subjects:
  household:
    checks: [household_standard]
    stages:
      - code: listing
        zh: 村级提名
        en: Village listing
        roles: [first_secretary]
        on_list: true
        decisions: [approve]
        evidence: [assembly_minutes]
        source: fictional 1
      - code: posting
        zh: 乡镇公示
        en: Township notice
        roles: [township_government]
        on_list: true
        decisions: [approve, return]
        returns_to: [listing]
        notice_days: 3
        objections_return_to: listing
        evidence: [notice_posting]
        source: fictional 2
      - code: removal
        zh: 县级销号
        en: County removal
        roles: [county_leading_group]
        decisions: [approve, reject]
        evidence: [approval_document]
        effects: [deregister_household]
        source: fictional 3
"""
VILLAGE = "981101001001"


@pytest.fixture
def procedures(tmp_path: Path) -> Path:
    for seed in PROCEDURES_DIR.glob("*.yaml"):
        (tmp_path / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "fictional.yaml").write_text(FICTIONAL, encoding="utf-8")
    return tmp_path


async def test_a_fictional_province_runs_from_its_file_alone(
    session: AsyncSession, procedures: Path, tmp_path: Path
) -> None:
    book = load_book(procedures)
    policy = tmp_path / "policy.csv"
    policy.write_text(policy_text(book), encoding="utf-8")
    assert "p, role:first_secretary, fictional/household/listing, perform" in policy.read_text()
    e = env(session, procedures=book)
    e = type(e)(
        session=e.session,
        authorizer=Authorizer(policy=str(policy)),
        book=book,
        standards=e.standards,
        now=e.now,
    )

    await f.units(session, VILLAGE)
    household = await f.household(session, VILLAGE)
    await f.member(session, household)
    await f.income(session, household, 2016, IncomeKind.WAGE, "4000")
    await f.assessment(session, household, 2016)

    committee = await official(session, Role.VILLAGE_COMMITTEES, VILLAGE)
    with pytest.raises(NotPermitted):  # this province lists through its first secretaries
        await exits.propose(
            e,
            committee,
            kind=SubjectKind.HOUSEHOLD,
            unit_code=VILLAGE,
            year=2016,
            subjects=[household.registry_no],
            evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
        )
    secretary = await official(session, Role.FIRST_SECRETARY, VILLAGE)
    proposed = await exits.propose(
        e,
        secretary,
        kind=SubjectKind.HOUSEHOLD,
        unit_code=VILLAGE,
        year=2016,
        subjects=[household.registry_no],
        evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
    )
    (application,) = proposed.applications
    town = await official(session, Role.TOWNSHIP_GOVERNMENT, VILLAGE[:9])
    await exits.post_notice(
        e,
        town,
        application_id=application.id,
        stage="posting",
        evidence=evidence(EvidenceKind.NOTICE_POSTING),
    )
    await exits.perform(
        later(e, days=3),
        town,
        application_id=application.id,
        stage="posting",
        decision=Decision.APPROVE,
    )
    county = await official(session, Role.COUNTY_LEADING_GROUP, VILLAGE[:6])
    done = await exits.perform(
        later(e, days=4),
        county,
        application_id=application.id,
        stage="removal",
        decision=Decision.APPROVE,
        evidence=evidence(EvidenceKind.APPROVAL_DOCUMENT),
    )
    assert done.status is exits.Status.EXITED
    assert household.exited_year == 2016
