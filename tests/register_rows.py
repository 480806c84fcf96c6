"""Register-file rows for tests: one head-of-household row, any cell overridden."""

from __future__ import annotations

from api.domain.idnumber import check_character
from api.domain.register_file import HEADERS


def id_number(prefix: str, n: int) -> str:
    """A valid ID number under the 6-digit ``prefix``, distinct for each ``n`` < 1000."""
    body = f"{prefix}19900{1 + n % 9}{1 + n % 28:02d}{n:03d}"
    return body + check_character(body)


def register_row(key: str, village: str, n: int, **cells: str) -> list[str]:
    """A household of one (its head, person ``n``) in ``village``, cells in HEADERS order."""
    values = dict.fromkeys(HEADERS, "") | {
        "户编号": key,
        "行政区划代码": village,
        "村民小组": "2组",
        "户主姓名": f"新户{n}",
        "识别标准": "国家标准",
        "贫困户属性": "一般贫困户",
        "主要致贫原因": "因病",
        "脱贫属性": "未脱贫",
        "识别年度": "2016",
        "姓名": f"新户{n}",
        "证件号码": id_number(village[:6], n),
        "与户主关系": "户主",
        "民族": "汉族",
        "文化程度": "初中",
        "在校生状况": "非在校生",
        "健康状况": "健康",
        "劳动技能": "普通劳动力",
        "务工时间（月）": "0",
        "是否参加城乡居民基本医疗保险": "是",
        "是否参加大病保险": "是",
        "是否参加城乡居民基本养老保险": "是",
    }
    unknown = set(cells) - set(HEADERS)
    assert not unknown, unknown
    return [(values | cells)[h] for h in HEADERS]
