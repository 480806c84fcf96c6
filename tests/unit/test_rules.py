from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.domain.register import RegionClass
from api.domain.rules import parse_standards
from api.errors import ConfigurationError, ValidationFailed
from api.policy_files import POLICIES_DIR, load_standards


def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((POLICIES_DIR / "standards.yaml").read_text("utf-8"))
    return loaded


def test_the_shipped_policy_loads_with_sourced_national_lines() -> None:
    policy = load_standards()
    amounts = {line.year: line.amount for line in policy.national_lines}
    assert amounts[2016] == Decimal("2952")
    assert amounts[2011] == Decimal("2536")
    assert "2300" in policy.national_source
    assert policy.county_bars[RegionClass.WESTERN].max_rate == Decimal("0.03")


def test_heilongjiang_adds_drinking_water_and_lanshan_does_not() -> None:
    policy = load_standards()
    assert policy.rules_for("230231101200").drinking_water
    assert not policy.rules_for("371302101200").drinking_water
    assert policy.rules_for("650000") == policy.household_rules[""]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["incidence_bars"]["village"].update(max_rate="two"), "max_rate"),
        (lambda d: d["incidence_bars"]["village"].update(max_rate="1.5"), "village"),
        (lambda d: d["household_rules"].pop("default"), "household_rules"),
        (lambda d: d["household_rules"]["23"].update(stable_years=0), "23"),
        (lambda d: d["national_lines"]["amounts"].update({2017: "-1"}), "2017"),
    ],
)
def test_a_bad_entry_is_refused_with_its_path(mutate: Any, path: str) -> None:
    data = _data()
    mutate(data)
    with pytest.raises(ValidationFailed) as caught:
        parse_standards(data)
    assert path in caught.value.path


def test_an_unreadable_file_is_one_configuration_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "standards.yaml"
    bad.write_text("incidence_bars: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_standards(bad)
    bad.write_text("household_rules: {}", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="national_lines"):
        load_standards(bad)
