from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.idnumber import check_character, parse_id_number
from api.errors import ValidationFailed

# The worked example of GB 11643-1999.
EXAMPLE = "11010519491231002X"


def test_the_standard_example_is_valid_and_read_correctly() -> None:
    parsed = parse_id_number(EXAMPLE)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.female  # sequence 002 is even
    assert parsed.masked() == "110105********002X"


def test_a_lower_case_x_is_accepted() -> None:
    assert parse_id_number(EXAMPLE.lower()).value == EXAMPLE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491331002X", "not a date of birth"),
        ("1101051949123100", "17 digits"),
        ("11010519491231002Y", "17 digits"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(value: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        parse_id_number(value)
    assert caught.value.path == ("idNumber",)


def test_age_turns_on_the_birthday() -> None:
    person = parse_id_number(EXAMPLE)
    assert person.age_on(date(2016, 12, 30)) == 66
    assert person.age_on(date(2016, 12, 31)) == 67


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_body_with_its_check_character_validates_and_no_other_does(body: str) -> None:
    good = check_character(body)
    for candidate in "0123456789X":
        number = body[:6] + "19800101" + body[14:] + candidate
        expected = check_character(number[:17])
        if candidate == expected:
            assert parse_id_number(number).value == number
        else:
            with pytest.raises(ValidationFailed):
                parse_id_number(number)
    assert good in "0123456789X"
