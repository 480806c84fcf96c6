"""The columnar reading of register files agrees with the per-cell domain parser: cell
by cell, row by row, and in how the file itself is read."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.domain import register_frame
from api.domain.idnumber import check_character
from api.domain.register import ZH
from api.domain.register_file import COLUMNS, HEADERS, CellError, Column, parse, phone_of
from api.services import tables
from tests.unit.test_register_file import row as good_row

ODD = " \t\u3000\xa0\x1c\x1f\x85\u2028\ufeff"  # what strip() takes (and the BOM, which it does not)
DIGITS = "0123456789０１２٣"  # ASCII, fullwidth and Arabic-Indic digits: only ASCII counts


def _ids() -> st.SearchStrategy[str]:
    body = st.builds(
        lambda place, year, month, day, seq: f"{place}{year:04d}{month:02d}{day:02d}{seq:03d}",
        st.sampled_from(["230231", "110101", "000000"]),
        st.integers(0, 2100),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 999),
    )
    good = body.map(lambda b: b + check_character(b))
    return st.one_of(
        good,
        good.map(str.lower),
        body.map(lambda b: b + "X"),
        body.map(lambda b: b + "0"),
        good.map(lambda v: v[:-1]),
        good.map(lambda v: "１" + v[1:]),
        st.text(alphabet="0123456789Xx", min_size=16, max_size=19),
    )


def _cells(column: Column) -> st.SearchStrategy[str]:
    rule = column.rule
    common: list[st.SearchStrategy[str]] = [
        st.just(""),
        st.text(alphabet=DIGITS + "abcXx-+ 是否", max_size=6),
    ]
    if rule.enum is not None:
        spellings = [*ZH[rule.enum].values(), *(m.value for m in rule.enum)]
        known = st.sampled_from(spellings)
        common += [known, known.map(str.upper), known.map(lambda v: v + "组")]
    if rule.kind in ("year", "months"):
        common += [
            st.integers(-5, 2200).map(str),
            st.integers(0, 2200).map(lambda n: f"00{n}"),
            st.sampled_from(["1948", "1949", "2100", "2101", "0", "00", "12", "13", "012"]),
            st.just("0" * 30 + "2016"),
            st.just("1" * 30),
        ]
    if rule.kind == "flag":
        common.append(st.sampled_from(["是", "否", "TRUE", "Yes", "N", "1", "0", "ｙｅｓ", "oui"]))
    if rule.kind == "village":
        common += [st.text(alphabet=DIGITS, min_size=11, max_size=13), st.just("230231101001")]
    if rule.kind == "id_number":
        common.append(_ids())
    if rule.kind == "text":
        common.append(st.text(min_size=rule.limit - 2, max_size=rule.limit + 2))
    if rule.kind in ("pattern", "phone"):
        common.append(st.text(alphabet="0123456789+- abAB_", min_size=0, max_size=34))
    if rule.kind == "phone":
        common.append(
            st.builds(
                lambda prefix, sep, digits: (
                    prefix + sep.join([digits[:3], digits[3:7], digits[7:]])
                ),
                st.sampled_from(["", "+86", "+86 ", "0086", "86"]),
                st.sampled_from(["", " ", "-"]),
                st.text(alphabet=DIGITS, min_size=10, max_size=10).map(lambda d: "1" + d),
            )
        )
    return st.one_of(common)


def _expected(column: Column, raw: str) -> tuple[bool, Any]:
    if raw == "" and column.required:
        return True, None
    try:
        value = column.parse(raw)
    except CellError:
        return True, None
    return False, value.value if hasattr(value, "value") else value


@pytest.mark.parametrize("column", COLUMNS, ids=[c.attribute for c in COLUMNS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_column_check_agrees_with_the_cell_parser(column: Column, data: st.DataObject) -> None:
    cells = data.draw(st.lists(_cells(column), min_size=1, max_size=12))
    frame = pl.DataFrame({h: [""] * len(cells) for h in HEADERS} | {column.header: cells})
    checked = register_frame.check_cells(frame)
    for index, raw in enumerate(cells):
        bad, value = _expected(column, raw)
        assert checked[f"!{column.attribute}"][index] is bad, raw
        if not bad:
            assert checked[column.attribute][index] == value, raw


TRICKY = [
    "", "0", "00", "012", "12", "13", "1948", "1949", "2100", "2101", "0" * 30 + "2016",
    "２０１６", "٣", "-1", "+1", "是", "否", "YES", "No", "tRuE", "ｙｅｓ", "230231101001",
    "23023110100", "2302311010011", "２30231101001", "13800000000", "138 0000 0000",
    "1234567", "12345678", "+86 139-4567-8901", "0086 13945678901", "+8613945678901",
    "+86 12345", "0452-1234567", "1" * 32, "1" * 33, "A-1", "a_1", "因病", "illness", "ILLNESS",
    "户主", "head", "国家标准", "未脱贫", "x" * 20, "x" * 21, "名" * 50, "名" * 51,
    "230231198001010011", "23023119800101001X", "23023119800101001x",
    "230231198002300011", "230231190002290011", "230231200002290011", "230231000001010011",
]  # fmt: skip


@pytest.mark.parametrize("column", COLUMNS, ids=[c.attribute for c in COLUMNS])
def test_each_column_check_agrees_on_the_edges(column: Column) -> None:
    cells = [*TRICKY, *(v[:17] + check_character(v[:17]) for v in TRICKY if len(v) == 18)]
    frame = pl.DataFrame({h: [""] * len(cells) for h in HEADERS} | {column.header: cells})
    checked = register_frame.check_cells(frame)
    for index, raw in enumerate(cells):
        bad, value = _expected(column, raw)
        assert checked[f"!{column.attribute}"][index] is bad, raw
        if not bad:
            assert checked[column.attribute][index] == value, raw


def _id(n: int) -> str:
    body = f"230231198001{n % 28 + 1:02d}{n:03d}"
    return body + check_character(body)


@st.composite
def _register_rows(draw: st.DrawFn) -> list[tuple[int, dict[str, str]]]:
    """Rows of a few households with the trouble a real file has: repeated people,
    rows that disagree, a household's rows apart, bad cells, padding, no 户主."""
    rows = []
    for number in range(2, 2 + draw(st.integers(0, 14))):
        key = draw(st.sampled_from(["H1", "H2", "H3", "H-4", "bad key"]))
        cells: dict[str, str] = {
            "户编号": key,
            "户主姓名": "张三",
            "姓名": draw(st.sampled_from(["张三", "李四", "王五"])),
            "证件号码": _id(draw(st.integers(0, 6))),
            "与户主关系": draw(st.sampled_from(["户主", "配偶", "子女", "head"])),
        }
        if draw(st.booleans()):
            column = draw(st.sampled_from(COLUMNS))
            cells[column.header] = draw(_cells(column))
        if draw(st.integers(0, 5)) == 0:
            cells["村民小组"] = "4组"
        if draw(st.integers(0, 5)) == 0:
            cells["加入年度"], cells["退出年度"] = "2015", draw(st.sampled_from(["2014", "2016"]))
        if draw(st.integers(0, 5)) == 0:
            cells["姓名"] = " 张三\u3000"
        rows.append((number, good_row(**cells)))
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_register_rows())
def test_a_file_parses_to_the_same_households_and_errors(
    rows: list[tuple[int, dict[str, str]]],
) -> None:
    expected = parse(rows)
    frame = register_frame.parse_frame(register_frame.raw_frame(rows))
    assert frame.errors == expected.errors
    assert frame.rejected == expected.rejected
    assert frame.rows == expected.rows
    households = register_frame.households_in_file(frame, frame.households["registry_no"])
    assert list(households) == list(expected.households)
    assert households == expected.households


def test_the_parsers_households_become_tables_and_back() -> None:
    rows = [(2, good_row()), (3, good_row(姓名="李四", 证件号码=_id(2), 与户主关系="配偶"))]
    parsed = parse(rows)
    frame = register_frame.of_parsed(parsed)
    assert frame.households.schema == pl.Schema(register_frame.HOUSEHOLD_SCHEMA)
    assert frame.members.schema == pl.Schema(register_frame.MEMBER_SCHEMA)
    assert register_frame.households_in_file(frame, ["H1"]) == parsed.households


FILES = {
    "bom": "\ufeffa,b\n1,2\n",
    "blank lines": "a,b\n1,2\n\n3,4\n\r\n5,6",
    "crlf": "a,b\r\n1,2\r\n3,4\r\n",
    "whitespace rows": "a,b\n1,2\n  \n\u3000,\x1c\n3, 4 \n",
    "short rows": "a,b,c\n1,2\n3,4,5\n",
    "long rows": "a,b\n1,2,3\n4,5\n,,x\n",
    "quoted": 'a,b\n"x\ny",2\n"3,",""""\n',
    "lone cr": "a,b\r1,2\r3,4\r",
    "commas only": "a,b\n,\n1,2\n",
    "no final newline": "a,b\n1,2",
    "headers twice or blank": "a,a, b ,,\n1,2,3,4,5\n",
    "empty": "",
    "header only": "a,b\n",
    "blank header": "\na,b\n1,2\n",
    "bad quote": 'a,b\nx"y,2\n"z"w,3\n',
}


@pytest.mark.parametrize("text", FILES.values(), ids=list(FILES))
def test_a_csv_reads_as_a_table_exactly_as_row_by_row(tmp_path: Path, text: str) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode())
    header, rows = tables.read(path)
    expected = [
        {"row": number, **{name: (cells.get(name) or "").strip() for name in header if name}}
        for number, cells in rows
    ]
    got_header, frame = tables.read_frame(path)
    assert got_header == header
    assert frame.to_dicts() == expected


def test_a_csv_without_quotes_is_read_by_polars(tmp_path: Path) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, [str(n) for n in range(len(HEADERS))]])
    assert tables._csv_frame(out.getvalue().encode()) is not None
    assert tables._csv_frame(b'a,b\n"1",2\n') is None


def test_a_file_without_the_later_treatment_column_reads_as_not_recorded(tmp_path: Path) -> None:
    older = [h for h in HEADERS if h != "大病是否得到救治"]
    cells = good_row(健康状况="患有大病")
    path = tmp_path / "older.csv"
    out = io.StringIO()
    csv.writer(out).writerows([older, [cells[h] for h in older]])
    path.write_text(out.getvalue(), encoding="utf-8")
    _, frame = tables.read_frame(path)
    completed = register_frame.with_absent_columns(frame).select(list(register_frame.RAW_SCHEMA))
    parsed = register_frame.parse_frame(completed, stripped=True)
    assert parsed.errors == []
    assert parsed.members["serious_illness_treated"].to_list() == [None]


def test_a_mobile_is_stored_as_its_eleven_digits_however_typed() -> None:
    for typed in ("13945678901", "139 4567 8901", "139-4567-8901", "+86 139-4567-8901",
                  "0086 13945678901", "+8613945678901"):  # fmt: skip
        assert phone_of(typed) == "13945678901", typed
    assert phone_of("0452-1234567") == "04521234567"  # a landline keeps its area code
    assert phone_of("+86 452 1234567") == "+864521234567"  # not a mobile: only compacted
