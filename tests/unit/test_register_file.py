"""The register file: cells, households across rows, row-level errors, and the inverse."""

from __future__ import annotations

from api.domain.idnumber import check_character
from api.domain.register import ExitAttribute, PovertyCause, Relation
from api.domain.register_file import HEADERS, check_headers, parse, rows_of

VILLAGE = "230231101001"


def _id(n: int) -> str:
    body = f"230231198001{n:02d}00{n % 10}"
    return body + check_character(body)


def row(key: str = "H1", **cells: str) -> dict[str, str]:
    base = {
        "户编号": key,
        "行政区划代码": VILLAGE,
        "村民小组": "3组",
        "户主姓名": "张三",
        "联系电话": "13800000000",
        "开户银行账号": "",
        "识别标准": "国家标准",
        "贫困户属性": "一般贫困户",
        "主要致贫原因": "因病",
        "其他致贫原因一": "",
        "其他致贫原因二": "缺资金",
        "脱贫属性": "未脱贫",
        "识别年度": "2014",
        "脱贫年度": "",
        "返贫年度": "",
        "姓名": "张三",
        "证件号码": _id(1),
        "与户主关系": "户主",
        "民族": "汉族",
        "文化程度": "小学",
        "在校生状况": "非在校生",
        "健康状况": "健康",
        "劳动技能": "普通劳动力",
        "务工时间（月）": "3",
        "是否参加城乡居民基本医疗保险": "是",
        "是否参加大病保险": "是",
        "大病是否得到救治": "",
        "是否参加城乡居民基本养老保险": "否",
        "加入年度": "",
        "退出年度": "",
    }
    return base | cells


def test_a_household_spans_its_members_rows() -> None:
    parsed = parse(
        [
            (2, row()),
            (3, row(姓名="李四", 证件号码=_id(2), 与户主关系="配偶")),
        ]
    )
    assert parsed.errors == []
    household = parsed.households["H1"]
    assert household.rows == [2, 3]
    assert household.record.third_cause is PovertyCause.LACK_OF_CAPITAL
    assert household.record.second_cause is None
    assert [m.relation for m in household.members] == [Relation.HEAD, Relation.SPOUSE]
    assert household.members[0].medical_insurance is True
    assert household.members[0].pension_insurance is False


def test_codes_are_accepted_as_well_as_labels() -> None:
    parsed = parse([(2, row(脱贫属性="not_exited", 与户主关系="head"))])
    assert parsed.households["H1"].record.exit_attribute is ExitAttribute.NOT_EXITED


def test_every_bad_cell_is_reported_with_row_column_and_reason() -> None:
    parsed = parse(
        [
            (2, row(key="H1", 证件号码="230231198001010001", 识别年度="二〇一四")),
            (3, row(key="H2", 行政区划代码="2302", 脱贫属性="脱了")),
            (4, row(key="H3", 户主姓名="")),
        ]
    )
    found = {(e.row, e.column) for e in parsed.errors}
    assert found == {
        (2, "证件号码"),
        (2, "识别年度"),
        (3, "行政区划代码"),
        (3, "脱贫属性"),
        (4, "户主姓名"),
    }
    assert parsed.households == {}
    assert parsed.rejected == {"H1", "H2", "H3"}
    reasons = {e.column: e.reason for e in parsed.errors}
    assert "check digit" in reasons["证件号码"]
    assert "未脱贫" in reasons["脱贫属性"]  # the allowed labels are listed
    assert reasons["户主姓名"] == "required"


def test_a_households_rows_must_agree_and_one_bad_row_rejects_it_whole() -> None:
    parsed = parse(
        [
            (2, row()),
            (3, row(姓名="李四", 证件号码=_id(2), 与户主关系="配偶", 村民小组="4组")),
            (4, row(key="H2", 证件号码=_id(3))),
        ]
    )
    assert [(e.row, e.column, e.reason) for e in parsed.errors] == [
        (3, "村民小组", "differs from row 2")
    ]
    assert list(parsed.households) == ["H2"]


def test_household_rules_one_head_named_in_the_household_exit_years() -> None:
    parsed = parse(
        [
            (2, row(key="H1", 与户主关系="配偶")),
            (3, row(key="H2", 证件号码=_id(2), 户主姓名="王五")),
            (4, row(key="H3", 证件号码=_id(3), 脱贫属性="已脱贫（享受政策）")),
            (5, row(key="H4", 证件号码=_id(4), 脱贫年度="2016")),
            (6, row(key="H5", 证件号码=_id(5), 脱贫属性="已脱贫（享受政策）", 脱贫年度="2013")),
        ]
    )
    assert {(e.row, e.column) for e in parsed.errors} == {
        (2, "与户主关系"),
        (3, "户主姓名"),
        (4, "脱贫年度"),
        (5, "脱贫年度"),
        (6, "脱贫年度"),
    }


def test_one_person_in_two_households_is_refused_in_both() -> None:
    parsed = parse([(2, row(key="H1")), (3, row(key="H2"))])
    assert [(e.row, e.column, e.reason) for e in parsed.errors] == [
        (3, "证件号码", "also on row 2")
    ]
    assert parsed.households == {}


def test_headers_missing_unknown_and_twice() -> None:
    assert check_headers(list(HEADERS)) == []
    problems = check_headers([*HEADERS[1:], "户 编号", "姓名"])
    assert {(e.column, e.reason) for e in problems} == {
        ("户 编号", "unknown column"),
        ("姓名", "column appears twice"),
        ("户编号", "column is missing"),
    }


def test_the_treatment_of_a_serious_illness_is_yes_no_or_not_recorded() -> None:
    parsed = parse(
        [
            (2, row(健康状况="患有大病", 大病是否得到救治="是")),
            (3, row(姓名="李四", 证件号码=_id(2), 与户主关系="配偶", 大病是否得到救治="否")),
            (4, row(姓名="王五", 证件号码=_id(3), 与户主关系="子女")),
        ]
    )
    assert parsed.errors == []
    treated = [m.serious_illness_treated for m in parsed.households["H1"].members]
    assert treated == [True, False, None]
    bad = parse([(2, row(大病是否得到救治="治了"))])
    assert [(e.column, e.reason) for e in bad.errors] == [("大病是否得到救治", "是 or 否")]


def test_a_file_from_before_the_treatment_column_still_reads() -> None:
    """大病是否得到救治 was added later: a file without it reads it as not recorded."""
    older = [h for h in HEADERS if h != "大病是否得到救治"]
    assert check_headers(older) == []
    cells = row()
    del cells["大病是否得到救治"]
    parsed = parse([(2, cells)])
    assert parsed.errors == []
    assert parsed.households["H1"].members[0].serious_illness_treated is None
    assert {(e.column, e.reason) for e in check_headers([*older, "大病是否得到医治"])} == {
        ("大病是否得到医治", "unknown column")  # a misspelt header is still refused
    }


def test_rows_of_is_the_inverse_of_parse() -> None:
    account = "6222000011112222"
    parsed = parse(
        [
            (
                2,
                row(
                    开户银行账号=account,
                    加入年度="2010",
                    健康状况="患有大病",
                    大病是否得到救治="否",
                ),
            ),
            (
                3,
                row(
                    开户银行账号=account,
                    姓名="李四",
                    证件号码=_id(2),
                    与户主关系="配偶",
                    退出年度="2016",
                ),
            ),
        ]
    )
    household = parsed.households["H1"]
    rows = rows_of(household.record, household.members)
    again = parse((n, dict(zip(HEADERS, cells, strict=True))) for n, cells in enumerate(rows, 2))
    assert again.errors == []
    assert again.households["H1"].record == household.record
    assert again.households["H1"].members == household.members
