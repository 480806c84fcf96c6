"""The standards policy, parsed and validated from plain data (no file IO here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from api.domain.jurisdictions import validate_code
from api.domain.register import RegionClass, StandardKind
from api.domain.standards import HouseholdRules, IncidenceBar, PovertyLine
from api.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class StandardsPolicy:
    national_lines: tuple[PovertyLine, ...]
    national_source: str
    village_bar: IncidenceBar
    county_bars: Mapping[RegionClass, IncidenceBar]
    household_rules: Mapping[str, HouseholdRules]

    def rules_for(self, unit_code: str) -> HouseholdRules:
        """The rules of the most local entry whose prefix covers ``unit_code``."""
        matches = [p for p in self.household_rules if p and unit_code.startswith(p)]
        if matches:
            return self.household_rules[max(matches, key=len)]
        return self.household_rules[""]


def parse_standards(data: Any) -> StandardsPolicy:
    root = _mapping(data, ())
    lines_data = _mapping(root.get("national_lines"), ("national_lines",))
    amounts = _mapping(lines_data.get("amounts"), ("national_lines", "amounts"))
    lines = tuple(
        PovertyLine(
            applies_to="",
            year=_year(year, ("national_lines", "amounts", str(year))),
            kind=StandardKind.NATIONAL,
            amount=_decimal(amount, ("national_lines", "amounts", str(year))),
        )
        for year, amount in amounts.items()
    )
    bars = _mapping(root.get("incidence_bars"), ("incidence_bars",))
    rules = _mapping(root.get("household_rules"), ("household_rules",))
    if "default" not in rules:
        raise ValidationFailed("household_rules needs a default entry", path=("household_rules",))
    return StandardsPolicy(
        national_lines=lines,
        national_source=str(lines_data.get("source", "")).strip(),
        village_bar=_bar(bars, "village"),
        county_bars={
            RegionClass.GENERAL: _bar(bars, "county_general"),
            RegionClass.WESTERN: _bar(bars, "county_western"),
        },
        household_rules={
            _prefix(key): _rules(value, ("household_rules", str(key)))
            for key, value in rules.items()
        },
    )


def _prefix(key: Any) -> str:
    return "" if key == "default" else validate_code(str(key))


def _rules(data: Any, path: tuple[str, ...]) -> HouseholdRules:
    entry = _mapping(data, path)
    stable = entry.get("stable_years", 1)
    if not isinstance(stable, int) or stable < 1:
        raise ValidationFailed("stable_years must be a whole number >= 1", path=path)
    water = entry.get("drinking_water", False)
    if not isinstance(water, bool):
        raise ValidationFailed("drinking_water must be true or false", path=path)
    return HouseholdRules(stable_years=stable, drinking_water=water)


def _bar(bars: Mapping[str, Any], name: str) -> IncidenceBar:
    path = ("incidence_bars", name)
    entry = _mapping(bars.get(name), path)
    rate = _decimal(entry.get("max_rate"), (*path, "max_rate"))
    if not Decimal(0) < rate < Decimal(1):
        raise ValidationFailed("max_rate is a fraction between 0 and 1", path=path)
    inclusive = entry.get("inclusive", True)
    if not isinstance(inclusive, bool):
        raise ValidationFailed("inclusive must be true or false", path=path)
    return IncidenceBar(max_rate=rate, inclusive=inclusive)


def _mapping(data: Any, path: tuple[str, ...]) -> Mapping[Any, Any]:
    if not isinstance(data, Mapping):
        raise ValidationFailed("expected a mapping", path=path)
    return data


def _year(value: Any, path: tuple[str, ...]) -> int:
    if not isinstance(value, int) or not 1978 <= value <= 2100:
        raise ValidationFailed("a year is a whole number like 2016", path=path)
    return value


def _decimal(value: Any, path: tuple[str, ...]) -> Decimal:
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{value!r} is not a decimal number", path=path) from None
    if not result.is_finite() or result <= 0:
        raise ValidationFailed("must be a positive number", path=path)
    return result
