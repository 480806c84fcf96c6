"""Notices read from the database: which postings make up a notice, its unit and wording
for villages and counties, and who may read it when (api/services/notices.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.engine import Status
from api.domain.notices import Notice, NoticeKey
from api.domain.register import CountyDesignation, SubjectKind
from api.domain.roles import Principal, Role
from api.procedure_files import book
from api.services import notices

T = datetime(2015, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 on 2 November in China
TOWNSHIP = "371302101"  # 白沙埠镇, 兰山区
VILLAGES = ["371302101208", "371302101209"]  # 卧茨村, 乔家湖村 (扶贫工作重点村)


async def _version(session: AsyncSession, unit: str) -> models.ProcedureVersion:
    procedure = book().for_unit(unit)
    found = await session.scalar(
        select(models.ProcedureVersion).where(models.ProcedureVersion.digest == procedure.digest)
    )
    if found is not None:
        return found
    row = models.ProcedureVersion(
        code=procedure.code,
        version=procedure.version,
        digest=procedure.digest,
        definition=dict(procedure.raw),
        registered_at=T,
    )
    session.add(row)
    await session.flush()
    return row


async def posted_list(
    session: AsyncSession,
    *,
    kind: SubjectKind,
    unit: str,
    subjects: Sequence[str],
    stage: str,
    days: int,
    designation: CountyDesignation | None = None,
) -> tuple[models.ExitList, list[models.ExitApplication]]:
    """A list of subjects (villages or counties by code) whose notice was posted at T."""
    version = await _version(session, unit)
    exit_list = models.ExitList(
        procedure_version_id=version.id,
        subject_kind=kind,
        unit_code=unit,
        year=2015,
        created_by="test",
        created_at=T - timedelta(days=3),
    )
    session.add(exit_list)
    await session.flush()
    made = []
    for code in subjects:
        application = models.ExitApplication(
            procedure_version_id=version.id,
            list_id=exit_list.id,
            subject_kind=kind,
            subject_key=code,
            unit_code=code,
            household_id=None,
            designation=designation,
            year=2015,
            stage=stage,
            status=Status.IN_PROGRESS,
            notice_started_at=T,
            notice_ends_at=T + timedelta(days=days),
            created_at=T - timedelta(days=3),
            updated_at=T,
        )
        session.add(application)
        await session.flush()
        await post(session, application, stage, T)
        made.append(application)
    return exit_list, made


async def post(
    session: AsyncSession, application: models.ExitApplication, stage: str, at: datetime
) -> None:
    session.add(
        models.StageRecord(
            application_id=application.id,
            stage=stage,
            action="post_notice",
            actor_subject="test",
            actor_role="township_government",
            actor_jurisdiction=TOWNSHIP,
            at=at,
        )
    )
    await session.flush()


async def village_list(
    session: AsyncSession,
) -> tuple[models.ExitList, list[models.ExitApplication]]:
    """白沙埠镇's villages on their 7-day village notice."""
    return await posted_list(
        session,
        kind=SubjectKind.VILLAGE,
        unit=TOWNSHIP,
        subjects=VILLAGES,
        stage="village_notice",
        days=7,
    )


async def read(
    session: AsyncSession, key: NoticeKey, now: datetime, who: Principal | None = None
) -> Notice | None:
    return await notices.find(session, key, principal=who, now=now, reference=lambda i: f"#{i}")


async def test_a_townships_village_notice_in_lanshan(session: AsyncSession) -> None:
    exit_list, apps = await village_list(session)
    notice = await read(session, NoticeKey(exit_list.id, "village_notice", date(2015, 11, 2)), T)
    assert notice is not None
    assert notice.unit_name == "山东省临沂市兰山区白沙埠镇"
    assert notice.title == "白沙埠镇2015年度拟退出扶贫工作重点村名单公示"
    assert [row.cells for row in notice.rows] == [
        ("卧茨村", f"#{apps[0].id}"),
        ("乔家湖村", f"#{apps[1].id}"),
    ]
    assert notice.issuer == "白沙埠镇人民政府"
    assert notice.responsible == ("白沙埠镇党委和政府",)
    assert notice.period == "公示期：2015年11月2日至2015年11月9日，共7天。"
    assert "《兰山区贫困人口和扶贫工作重点村退出实施方案》" in notice.intro


async def test_a_notice_is_one_days_postings_and_a_later_posting_counts(
    session: AsyncSession,
) -> None:
    exit_list, apps = await village_list(session)
    await post(session, apps[0], "village_notice", T + timedelta(hours=5))  # 15:00, same day
    await post(session, apps[1], "village_notice", T + timedelta(days=1))  # the next day
    first = await read(session, NoticeKey(exit_list.id, "village_notice", date(2015, 11, 2)), T)
    assert first is not None
    assert [row.subject.application_id for row in first.rows] == [a.id for a in apps]
    assert first.rows[0].subject.posted_at == T + timedelta(hours=5)
    county = Principal("c", Role.COUNTY_LEADING_GROUP, "371302")
    second = await read(
        session, NoticeKey(exit_list.id, "village_notice", date(2015, 11, 3)), T, county
    )
    assert second is not None
    assert [row.subject.application_id for row in second.rows] == [apps[1].id]
    assert second.period == "公示期：2015年11月3日至2015年11月10日，共7天。"


async def test_who_reads_a_notice_when(session: AsyncSession) -> None:
    exit_list, apps = await village_list(session)
    key = NoticeKey(exit_list.id, "village_notice", date(2015, 11, 2))
    township = Principal("t", Role.TOWNSHIP_GOVERNMENT, TOWNSHIP)
    other_township = Principal("o", Role.TOWNSHIP_GOVERNMENT, "371302102")
    one_village = Principal("v", Role.VILLAGE_COMMITTEES, VILLAGES[0])
    evaluator = Principal("e", Role.THIRD_PARTY_EVALUATOR, "371302")
    before = T - timedelta(seconds=1)
    assert await read(session, key, before) is None  # not on the board yet
    assert await read(session, key, T) is not None
    apps[0].status = Status.OBJECTED  # withdrawn by an objection
    apps[0].notice_started_at = apps[0].notice_ends_at = None
    await session.flush()
    public = await read(session, key, T + timedelta(days=1))
    assert public is not None
    assert [row.subject.application_id for row in public.rows] == [apps[1].id]
    as_posted = await read(session, key, T + timedelta(days=1), township)
    assert as_posted is not None
    assert len(as_posted.rows) == 2
    ended = T + timedelta(days=7)
    assert await read(session, key, ended) is None
    for outsider in (other_township, one_village, evaluator):
        assert await read(session, key, ended, outsider) is None, outsider
    assert await read(session, key, ended, township) is not None
    assert await read(session, NoticeKey(exit_list.id, "proposal", date(2015, 11, 2)), T) is None


async def test_a_heilongjiang_county_notice_for_comment(session: AsyncSession) -> None:
    exit_list, _ = await posted_list(
        session,
        kind=SubjectKind.COUNTY,
        unit="230231",
        subjects=["230231"],
        stage="public_notice",
        days=7,
        designation=CountyDesignation.NATIONAL,
    )
    notice = await read(session, NoticeKey(exit_list.id, "public_notice", date(2015, 11, 2)), T)
    assert notice is not None
    assert notice.unit_name == "黑龙江省齐齐哈尔市拜泉县"
    assert notice.title == "拜泉县2015年度拟退出贫困县名单公示"
    assert [row.cells[0] for row in notice.rows] == ["拜泉县"]
    assert notice.responsible == ("黑龙江省扶贫开发领导小组",)
    assert notice.issuer == "黑龙江省扶贫开发领导小组"
    assert "经贫困县申请、市级初审、省级核查" in notice.intro
