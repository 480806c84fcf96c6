"""What a household search asks for (api/domain/search.py)."""

from __future__ import annotations

import pytest

from api.domain.idnumber import check_character
from api.domain.search import SearchBy, SearchTerm, parse_search
from api.errors import ValidationFailed

BODY = "23023119800101002"
ID_NUMBER = BODY + check_character(BODY)


@pytest.mark.parametrize(
    ("text", "by", "value"),
    [
        ("王秀英", SearchBy.NAME, "王秀英"),
        ("  王 ", SearchBy.NAME, "王"),
        ("阿依古丽·买买提", SearchBy.NAME, "阿依古丽·买买提"),
        (ID_NUMBER, SearchBy.ID_NUMBER, ID_NUMBER),
        (ID_NUMBER.lower(), SearchBy.ID_NUMBER, ID_NUMBER),
        (f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:]}", SearchBy.ID_NUMBER, ID_NUMBER),
        ("13945678901", SearchBy.PHONE, "13945678901"),
        ("+86 139-4567-8901", SearchBy.PHONE, "13945678901"),
    ],
)
def test_what_a_search_means(text: str, by: SearchBy, value: str) -> None:
    assert parse_search(text) == SearchTerm(by, value)


@pytest.mark.parametrize(
    "text",
    ["", "  ", "230231", "1394567890", "139456789012", "23023119800101002", "王%", "王_",
     "x" * 21, "王1", "<b>", "...", "'''", " ·王"],
)  # fmt: skip
def test_a_search_that_means_nothing(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_search(text)
    assert refused.value.path == ("query",)


def test_a_wrong_check_digit_is_no_id_number() -> None:
    wrong = BODY + ("0" if ID_NUMBER[-1] != "0" else "1")
    with pytest.raises(ValidationFailed, match="check digit"):
        parse_search(wrong)


def test_three_characters_match_anywhere_fewer_at_the_start() -> None:
    long, short = parse_search("王秀英"), parse_search("王秀")
    assert long.anywhere
    assert long.pattern == "%王秀英%"
    assert not short.anywhere
    assert short.prefix_range == ("王秀", "王私")  # 秀 U+79C0, 私 U+79C1
    assert parse_search("秀英").prefix_range == ("秀英", "秀苲")


def test_three_letters_in_a_row_match_anywhere() -> None:
    assert parse_search("徐波金").anywhere
    assert parse_search("阿依古丽·买买提").anywhere
    assert not parse_search("淑 英").anywhere  # letters apart: the start of a name
    assert not parse_search("王.秀").anywhere
