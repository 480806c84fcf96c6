"""The standards policy, parsed and validated from plain data (no file IO here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from api.domain.evaluation import Bar, Comparison, EvaluationBars
from api.domain.jurisdictions import validate_code
from api.domain.register import (
    Health,
    HousingGrade,
    IncomeKind,
    RegionClass,
    SchoolingStatus,
    StandardKind,
)
from api.domain.standards import HardBlocks, HouseholdRules, IncidenceBar, PovertyLine
from api.errors import ValidationFailed

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class StandardsPolicy:
    national_lines: tuple[PovertyLine, ...]
    national_source: str
    village_bar: IncidenceBar
    county_bars: Mapping[RegionClass, IncidenceBar]
    household_rules: Mapping[str, HouseholdRules]
    hard_blocks: HardBlocks
    evaluation_bars: EvaluationBars

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
        hard_blocks=_hard_blocks(root.get("hard_blocks")),
        evaluation_bars=_evaluation_bars(root.get("county_evaluation")),
    )


def _hard_blocks(data: Any) -> HardBlocks:
    """The four 十不脱 blocks; each must be stated (with its source), none is implied."""
    path = ("hard_blocks",)
    blocks = _mapping(data, path)
    names = ("unsafe_housing", "school_dropout", "untreated_serious_illness", "transfer_only")
    unknown = sorted(set(map(str, blocks)) - set(names))
    if unknown:
        raise ValidationFailed(f"unknown hard blocks: {', '.join(unknown)}", path=path)
    entries = {name: _mapping(blocks.get(name), (*path, name)) for name in names}
    for name, entry in entries.items():
        if not str(entry.get("source", "")).strip():
            raise ValidationFailed("every hard block names its source", path=(*path, name))
    housing, school = entries["unsafe_housing"], entries["school_dropout"]
    illness, income = entries["untreated_serious_illness"], entries["transfer_only"]
    school_path = (*path, "school_dropout")
    ages = school.get("ages")
    if (
        not isinstance(ages, list)
        or len(ages) != 2
        or not all(isinstance(a, int) and not isinstance(a, bool) for a in ages)
        or not 0 <= ages[0] <= ages[1] <= 30
    ):
        raise ValidationFailed(
            "ages is [youngest, oldest], whole years", path=(*school_path, "ages")
        )
    return HardBlocks(
        unsafe_grades=_members(HousingGrade, housing.get("grades"), (*path, "unsafe_housing")),
        school_ages=(ages[0], ages[1]),
        age_reckoned_on=_month_day(school.get("age_on"), (*school_path, "age_on")),
        schooling=_members(SchoolingStatus, school.get("counts_as_schooling"), school_path),
        serious=_members(Health, illness.get("health"), (*path, "untreated_serious_illness")),
        transfer_kinds=_members(IncomeKind, income.get("kinds"), (*path, "transfer_only")),
    )


def _evaluation_bars(data: Any) -> EvaluationBars:
    path = ("county_evaluation",)
    entry = _mapping(data, path)
    incidence_path = (*path, "comprehensive_incidence")
    incidence = _mapping(entry.get("comprehensive_incidence"), incidence_path)
    _source(incidence, incidence_path)
    return EvaluationBars(
        comprehensive_incidence={
            RegionClass.GENERAL: _rate_bar(incidence.get("general"), (*incidence_path, "general")),
            RegionClass.WESTERN: _rate_bar(incidence.get("western"), (*incidence_path, "western")),
        },
        wrongful_exit_rate=_sourced_bar(entry, (*path, "wrongful_exit_rate")),
        omission_rate=_sourced_bar(entry, (*path, "omission_rate")),
        public_recognition=_sourced_bar(entry, (*path, "public_recognition")),
    )


def _source(entry: Mapping[Any, Any], path: tuple[str, ...]) -> None:
    if not str(entry.get("source", "")).strip():
        raise ValidationFailed("names its source", path=path)


def _sourced_bar(parent: Mapping[Any, Any], path: tuple[str, ...]) -> Bar:
    entry = _mapping(parent.get(path[-1]), path)
    _source(entry, path)
    return _rate_bar(entry, path)


def _rate_bar(data: Any, path: tuple[str, ...]) -> Bar:
    """``max_rate`` (below it; ``inclusive``: or at it) or ``min_rate`` (at least it;
    not ``inclusive``: above it). No default for ``inclusive``: 低于 and 以上 differ."""
    entry = _mapping(data, path)
    inclusive = entry.get("inclusive")
    if not isinstance(inclusive, bool):
        raise ValidationFailed("inclusive must be stated, true or false", path=(*path, "inclusive"))
    if ("max_rate" in entry) == ("min_rate" in entry):
        raise ValidationFailed("give exactly one of max_rate and min_rate", path=path)
    name = "max_rate" if "max_rate" in entry else "min_rate"
    rate = _decimal(entry.get(name), (*path, name))
    if not rate < Decimal(1):
        raise ValidationFailed(f"{name} is a fraction between 0 and 1", path=(*path, name))
    if name == "max_rate":
        return Bar(rate, Comparison.AT_MOST if inclusive else Comparison.BELOW)
    return Bar(rate, Comparison.AT_LEAST if inclusive else Comparison.ABOVE)


def _members(enum: type[E], values: Any, path: tuple[str, ...]) -> frozenset[E]:
    known = {member.value for member in enum}
    if not isinstance(values, list) or not values:
        raise ValidationFailed(f"a non-empty list of: {', '.join(sorted(known))}", path=path)
    wrong = [str(v) for v in values if str(v) not in known]
    if wrong:
        raise ValidationFailed(
            f"{', '.join(wrong)} not among: {', '.join(sorted(known))}", path=path
        )
    return frozenset(enum(str(v)) for v in values)


def _month_day(value: Any, path: tuple[str, ...]) -> tuple[int, int]:
    """``MM-DD``: a day every year has (not 02-29)."""
    text = str(value)
    try:
        month, day = (int(part) for part in text.split("-"))
        date(2001, month, day)
    except ValueError:
        raise ValidationFailed(f"{text!r} is not a day of the year as MM-DD", path=path) from None
    return month, day


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
