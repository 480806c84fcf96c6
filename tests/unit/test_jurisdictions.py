from __future__ import annotations

import pytest

from api.domain.jurisdictions import (
    Level,
    Scope,
    ancestors,
    contains,
    level_of,
    parent_code,
    prefix_range,
)
from api.errors import ValidationFailed


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("23", Level.PROVINCE, None),
        ("2302", Level.MUNICIPALITY, "23"),
        ("371302", Level.COUNTY, "3713"),
        ("371302101", Level.TOWNSHIP, "371302"),
        ("230231101200", Level.VILLAGE, "230231101"),
    ],
)
def test_level_and_parent_follow_code_length(code: str, level: Level, parent: str | None) -> None:
    assert level_of(code) is level
    assert parent_code(code) == parent


@pytest.mark.parametrize("bad", ["", "2", "230", "23023110120", "23a2", "２３", "2302311012001"])
def test_anything_but_a_division_code_is_refused(bad: str) -> None:
    with pytest.raises(ValidationFailed, match="not a division code"):
        level_of(bad)


def test_containment_is_by_prefix_and_includes_the_unit_itself() -> None:
    assert contains("23", "230231101200")
    assert contains("230231", "230231")
    assert not contains("230231", "230223101200")
    assert not contains("371302101", "371302")  # a child does not contain its parent
    assert ancestors("230231101200") == ["23", "2302", "230231", "230231101"]


def test_prefix_range_bounds_exactly_the_subtree() -> None:
    bounds = prefix_range("2302")
    inside = ["2302", "230231", "230299999999"]
    outside = ["2301", "2303", "23", "230"]
    assert all(bounds.low <= code < bounds.high for code in inside)
    assert not any(bounds.low <= code < bounds.high for code in outside)


def test_prefix_range_of_a_code_ending_in_nine_does_not_spill_into_the_next() -> None:
    bounds = prefix_range("371309")
    assert bounds.low <= "371309999999" < bounds.high
    assert not bounds.low <= "37131" < bounds.high
    assert not bounds.low <= "371310" < bounds.high


def test_scope_keeps_the_fewest_prefixes_and_denies_by_default() -> None:
    scope = Scope.of("230231101", "2302", "371302")
    assert scope.prefixes == ("2302", "371302")
    assert scope.covers("230231101200")
    assert not scope.covers("23")
    assert not Scope.nothing().covers("23")
    assert Scope.all().covers("37")
