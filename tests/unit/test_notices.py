"""What a notice says: names, dates in China, the period, and how to object."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from api.domain.notices import (
    NoticeFacts,
    NoticeKey,
    NoticeKind,
    PostedSubject,
    Unit,
    body_name,
    chinese_date,
    common_unit,
    compose,
    full_name,
    issuer_name,
    place_name,
)
from api.domain.register import SubjectKind
from api.domain.roles import Role
from api.procedure_files import book

HEXIN = (
    Unit("23", "黑龙江省"),
    Unit("2302", "齐齐哈尔市"),
    Unit("230231", "拜泉县"),
    Unit("230231101", "三道镇"),
    Unit("230231101200", "合心村民委员会"),
)
# 2016-10-08 09:30 in China is 01:30 UTC; 2016-10-07 23:30 UTC is already the 8th there.
POSTED = datetime(2016, 10, 8, 1, 30, tzinfo=UTC)


def household(n: int, name: str, group: str, *, at: datetime = POSTED) -> PostedSubject:
    return PostedSubject(
        application_id=n,
        reference=f"ref-{n}",
        kind=SubjectKind.HOUSEHOLD,
        path=HEXIN,
        head_name=name,
        villager_group=group,
        posted_at=at,
        ends_at=at + timedelta(days=7),
    )


def facts(
    code: str = "heilongjiang", stage: str = "village_notice", **changes: object
) -> NoticeFacts:
    procedure = book().procedures[code]
    base = NoticeFacts(
        key=NoticeKey(7, stage, date(2016, 10, 8)),
        procedure_title=procedure.title,
        flow=procedure.for_kind(SubjectKind.HOUSEHOLD),
        year=2016,
        unit_path=HEXIN,
        subject_label="贫困户",
        subjects=(household(2, "王秀英", "3组"), household(1, "李建国", "1组")),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stored", "place"),
    [
        ("合心村民委员会", "合心村"),
        ("东关社区居民委员会", "东关社区"),
        ("东关居民委员会", "东关社区"),
        ("合心村", "合心村"),
        ("三道镇", "三道镇"),
        ("村民委员会", "村民委员会"),
    ],
)
def test_a_notice_names_the_place_not_the_committee(stored: str, place: str) -> None:
    assert place_name(stored) == place


def test_the_unit_is_named_by_its_full_administrative_path() -> None:
    assert full_name(HEXIN) == "黑龙江省齐齐哈尔市拜泉县三道镇合心村"


def test_dates_are_written_the_chinese_way() -> None:
    assert chinese_date(date(2016, 10, 8)) == "2016年10月8日"
    assert chinese_date(date(2016, 1, 1)) == "2016年1月1日"


def test_a_village_household_notice() -> None:
    notice = compose(facts())
    assert notice.kind is NoticeKind.NOTICE
    assert notice.title == "合心村2016年度拟退出贫困户名单公示"
    assert notice.unit_name == "黑龙江省齐齐哈尔市拜泉县三道镇合心村"
    assert "黑龙江省贫困县、建档立卡贫困村和贫困人口退出实施意见" in notice.intro
    assert "经民主评议、核实认可" in notice.intro
    assert "共2户" in notice.intro
    assert notice.columns == ("序号", "户主姓名", "村民小组", "异议受理编号")
    assert [r.cells for r in notice.rows] == [
        ("李建国", "1组", "ref-1"),
        ("王秀英", "3组", "ref-2"),
    ]
    assert [r.number for r in notice.rows] == [1, 2]
    assert notice.period == "公示期：2016年10月8日至2016年10月15日，共7天。"
    assert notice.issuer == "合心村民委员会"
    assert notice.issued_on == "2016年10月8日"


def test_dates_are_days_in_china_not_in_utc() -> None:
    late = datetime(2016, 10, 7, 23, 30, tzinfo=UTC)  # 07:30 on the 8th in China
    notice = compose(facts(subjects=(household(1, "李建国", "1组", at=late),)))
    assert notice.starts_on == date(2016, 10, 8)
    assert notice.ends_on == date(2016, 10, 15)


def test_a_list_posted_in_a_later_year_says_its_year_and_keeps_the_true_dates() -> None:
    posted = datetime(2017, 1, 3, 2, 0, tzinfo=UTC)
    notice = compose(facts(subjects=(household(1, "李建国", "1组", at=posted),)))
    assert notice.title == "合心村2016年度拟退出贫困户名单公示"
    assert "本名单为2016年度退出名单，于2017年1月3日公示，公示日期以实际张贴之日为准。" in (
        notice.intro
    )
    assert notice.period == "公示期：2017年1月3日至2017年1月10日，共7天。"
    same_year = compose(facts())
    assert "本名单为" not in same_year.intro


def test_how_to_object_names_the_responsible_bodies_and_the_online_channel() -> None:
    notice = compose(facts())
    assert notice.responsible == ("合心村“两委”", "合心村驻村工作队", "合心村第一书记")
    text = "".join(notice.objection)
    assert "可向合心村“两委”、合心村驻村工作队、合心村第一书记反映" in text
    assert "raiseObjection" in text
    assert "异议受理编号" in text
    assert "组织核实认可" in text


def test_lanshan_announces_for_five_days_signed_by_the_town() -> None:
    lanshan = (
        Unit("37", "山东省"),
        Unit("3713", "临沂市"),
        Unit("371302", "兰山区"),
        Unit("371302101", "枣园镇"),
        Unit("371302101200", "东关社区居民委员会"),
    )
    subject = replace(
        household(1, "张桂英", "2组"), path=lanshan, ends_at=POSTED + timedelta(days=5)
    )
    notice = compose(facts("lanshan", "announcement", unit_path=lanshan, subjects=(subject,)))
    assert notice.kind is NoticeKind.ANNOUNCEMENT
    assert notice.title == "东关社区2016年度贫困户退出公告"
    assert notice.period == "公告期：2016年10月8日至2016年10月13日，共5天。"
    assert notice.issuer == "枣园镇人民政府"
    assert "经民主评议、核实认可、村内公示、报镇街、抽查审核" in notice.intro
    assert notice.intro.endswith("公告期满无异议的，在全国扶贫开发信息系统贫困人口中销号。")


def test_a_township_list_of_villages_names_each_village() -> None:
    procedure = book().procedures["heilongjiang"]
    township = HEXIN[:4]
    villages = tuple(
        PostedSubject(
            application_id=n,
            reference=f"ref-{n}",
            kind=SubjectKind.VILLAGE,
            path=(*township, Unit(code, name)),
            head_name=None,
            villager_group=None,
            posted_at=POSTED,
            ends_at=POSTED + timedelta(days=7),
        )
        for n, code, name in (
            (1, "230231101200", "合心村民委员会"),
            (2, "230231101201", "利华村民委员会"),
        )
    )
    notice = compose(
        NoticeFacts(
            key=NoticeKey(9, "township_notice", date(2016, 10, 8)),
            procedure_title=procedure.title,
            flow=procedure.for_kind(SubjectKind.VILLAGE),
            year=2016,
            unit_path=township,
            subject_label="贫困村",
            subjects=villages,
        )
    )
    assert notice.title == "三道镇2016年度拟退出贫困村名单公示"
    assert [r.cells[0] for r in notice.rows] == ["合心村", "利华村"]
    assert "共2个" in notice.intro
    assert notice.issuer == "三道镇人民政府"
    assert notice.responsible == ("拜泉县扶贫开发领导小组",)


def test_a_household_list_above_the_village_says_which_village() -> None:
    township = HEXIN[:4]
    notice = compose(facts(unit_path=township))
    assert notice.columns == ("序号", "户主姓名", "所在村（社区）", "村民小组", "异议受理编号")
    assert notice.rows[0].cells[:3] == ("李建国", "合心村", "1组")
    assert notice.responsible[0] == "各村（社区）“两委”"


def test_bodies_by_role() -> None:
    assert body_name(Role.COUNTY_LEADING_GROUP, HEXIN) == "拜泉县扶贫开发领导小组"
    assert body_name(Role.PROVINCIAL_GOVERNMENT, HEXIN) == "黑龙江省人民政府"
    assert body_name(Role.STATE_COUNCIL_LEADING_GROUP, HEXIN) == "国务院扶贫开发领导小组"
    assert issuer_name(Role.PROVINCIAL_LEADING_GROUP, HEXIN[:3]) == "黑龙江省扶贫开发领导小组"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("7-village_notice-20161008", NoticeKey(7, "village_notice", date(2016, 10, 8))),
        ("7-village_notice-20161332", None),
        ("7-Village-20161008", None),
        ("x-village_notice-20161008", None),
        ("7-village_notice-20161008.pdf", None),
        ("", None),
    ],
)
def test_notice_keys_round_trip_and_refuse_anything_else(text: str, key: NoticeKey | None) -> None:
    assert NoticeKey.parse(text) == key
    if key is not None:
        assert str(key) == text


def test_a_key_names_the_day_in_china() -> None:
    key = NoticeKey.of(7, "village_notice", datetime(2016, 10, 7, 23, 30, tzinfo=UTC))
    assert key.posted_on == date(2016, 10, 8)
    start, end = key.day_bounds()
    assert start == datetime(2016, 10, 7, 16, tzinfo=UTC)
    assert end == datetime(2016, 10, 8, 16, tzinfo=UTC)


def test_a_notices_unit_is_the_deepest_containing_all_its_subjects() -> None:
    assert common_unit(["230231101200", "230231101200"]) == "230231101200"
    assert common_unit(["230231101200", "230231101201"]) == "230231101"
    assert common_unit(["230231101200", "230231102200"]) == "230231"
    assert common_unit(["230231", "230223"]) == "2302"
    assert common_unit(["23", "37"]) is None


def test_heilongjiangs_announcement_has_a_date_but_no_period() -> None:
    approved = replace(household(1, "李建国", "1组"), ends_at=None)
    notice = compose(facts("heilongjiang", "announcement", subjects=(approved,)))
    assert notice.kind is NoticeKind.ANNOUNCEMENT
    assert notice.title == "合心村2016年度贫困户退出公告"
    assert (notice.days, notice.ends_on) == (None, None)
    assert notice.period == "公告日期：2016年10月8日。"
    assert "经民主评议、核实认可、村内公示" in notice.intro
    assert notice.intro.endswith("并在全国扶贫开发信息系统贫困人口中销号。")
    assert notice.columns == ("序号", "户主姓名", "村民小组")  # no objections online
    assert notice.rows[0].cells == ("李建国", "1组")
    assert notice.responsible == ("拜泉县扶贫开发领导小组",)
    assert notice.issuer == "拜泉县扶贫开发领导小组"
    assert "raiseObjection" not in "".join(notice.objection)
