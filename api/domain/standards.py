"""Exit standards (退出标准) as checks over recorded facts.

A subject meets its standard only on recorded data: incomes per year and dated
assessments with evidence. A check never stops at the first failure: it names
every criterion that fails, so the official sees the whole picture at once.
A household's check also names the 十不脱 hard blocks it runs into
(``check_hard_blocks``): C/D housing, a school-age child out of school, an untreated
serious illness, income only from transfers, each judged on register facts.

Thresholds follow the seeds' wording. 超过 ("exceeds") is strict: a per-capita
income exactly at the line does not meet it. 降至2%以下 ("down to 2% or below")
includes 2% itself, as 以下 does in Chinese legal usage (民法通则 第155条, now
民法典 第1259条: 以上、以下、以内、届满，包括本数); the bar's ``inclusive`` flag is
data, so a procedure that reads "低于" (strictly below) sets it to false.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from api.domain.idnumber import age_on
from api.domain.income import member_counts_in
from api.domain.register import (
    Health,
    HousingGrade,
    IncomeKind,
    Relation,
    SchoolingStatus,
    StandardKind,
    zh,
)


class Criterion(StrEnum):
    INCOME = "income"
    FOOD_AND_CLOTHING = "food_and_clothing"
    COMPULSORY_EDUCATION = "compulsory_education"
    BASIC_MEDICAL_CARE = "basic_medical_care"
    SAFE_HOUSING = "safe_housing"
    SAFE_DRINKING_WATER = "safe_drinking_water"
    INCIDENCE = "incidence"
    HAMLET_ROAD_PAVED = "hamlet_road_paved"
    BROADBAND = "broadband"
    RADIO_AND_CABLE_TV = "radio_and_cable_tv"
    CLINIC_WITH_DOCTOR = "clinic_with_doctor"
    CULTURAL_VENUE = "cultural_venue"
    # 十不脱: hard blocks on a household's exit, whatever its income (check_hard_blocks).
    BLOCK_UNSAFE_HOUSING = "block_unsafe_housing"
    BLOCK_SCHOOL_DROPOUT = "block_school_dropout"
    BLOCK_UNTREATED_SERIOUS_ILLNESS = "block_untreated_serious_illness"
    BLOCK_TRANSFER_INCOME_ONLY = "block_transfer_income_only"


CRITERION_ZH: dict[Criterion, str] = {
    Criterion.INCOME: "年人均纯收入稳定超过扶贫标准",
    Criterion.FOOD_AND_CLOTHING: "吃穿不愁",
    Criterion.COMPULSORY_EDUCATION: "义务教育有保障",
    Criterion.BASIC_MEDICAL_CARE: "基本医疗有保障",
    Criterion.SAFE_HOUSING: "住房安全有保障",
    Criterion.SAFE_DRINKING_WATER: "饮水安全",
    Criterion.INCIDENCE: "贫困发生率",
    Criterion.HAMLET_ROAD_PAVED: "中心屯通水泥(沥青)路",
    Criterion.BROADBAND: "通宽带",
    Criterion.RADIO_AND_CABLE_TV: "通广播有线电视",
    Criterion.CLINIC_WITH_DOCTOR: "有卫生室、有医生",
    Criterion.CULTURAL_VENUE: "有文化活动场所",
    Criterion.BLOCK_UNSAFE_HOUSING: "十不脱：住房为C级或D级危房",
    Criterion.BLOCK_SCHOOL_DROPOUT: "十不脱：义务教育阶段适龄儿童失学辍学",
    Criterion.BLOCK_UNTREATED_SERIOUS_ILLNESS: "十不脱：大病未得到救治",
    Criterion.BLOCK_TRANSFER_INCOME_ONLY: "十不脱：收入仅为转移性收入",
}

HARD_BLOCKS = (
    Criterion.BLOCK_UNSAFE_HOUSING,
    Criterion.BLOCK_SCHOOL_DROPOUT,
    Criterion.BLOCK_UNTREATED_SERIOUS_ILLNESS,
    Criterion.BLOCK_TRANSFER_INCOME_ONLY,
)

VILLAGE_FACILITIES = (
    Criterion.HAMLET_ROAD_PAVED,
    Criterion.BROADBAND,
    Criterion.RADIO_AND_CABLE_TV,
    Criterion.CLINIC_WITH_DOCTOR,
    Criterion.CULTURAL_VENUE,
)


def check_facilities(
    facilities: dict[Criterion, bool] | None, *, required: Sequence[Criterion], year: int
) -> StandardCheck:
    """Village facilities recorded for ``year`` (Heilongjiang's central-hamlet criteria)."""
    if not required:
        return StandardCheck(())
    if facilities is None:
        detail = f"no village indicators recorded for {year}"
        return StandardCheck(tuple(Shortfall(c, detail) for c in required))
    missing = [c for c in required if not facilities.get(c, False)]
    return StandardCheck(tuple(Shortfall(c, f"not recorded as present in {year}") for c in missing))


def combine(*checks: StandardCheck) -> StandardCheck:
    return StandardCheck(tuple(s for check in checks for s in check.shortfalls))


@dataclass(frozen=True, slots=True)
class Shortfall:
    criterion: Criterion
    detail: str


@dataclass(frozen=True, slots=True)
class StandardCheck:
    shortfalls: tuple[Shortfall, ...]

    @property
    def met(self) -> bool:
        return not self.shortfalls

    @property
    def failed(self) -> tuple[Criterion, ...]:
        return tuple(s.criterion for s in self.shortfalls)


# ---------------------------------------------------------------- poverty lines


@dataclass(frozen=True, slots=True)
class PovertyLine:
    """A per-capita net income line for one year, over the units ``applies_to`` prefixes.

    ``applies_to`` is ``""`` for the whole country (the national standard).
    """

    applies_to: str
    year: int
    kind: StandardKind
    amount: Decimal


def applicable_line(
    lines: Iterable[PovertyLine], *, unit_code: str, year: int, kind: StandardKind
) -> PovertyLine | None:
    """The most local line of ``kind`` for ``year`` that covers ``unit_code``."""
    candidates = [
        line
        for line in lines
        if line.year == year and line.kind == kind and unit_code.startswith(line.applies_to)
    ]
    return max(candidates, key=lambda line: len(line.applies_to), default=None)


# ---------------------------------------------------------------- households


@dataclass(frozen=True, slots=True)
class IncomeYear:
    """A year's derived per-capita income beside the line that applies in that year."""

    year: int
    per_capita: Decimal | None
    line: Decimal | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """A dated 两不愁三保障 assessment, as recorded (with evidence) by an assessor."""

    housing_grade: HousingGrade
    food_and_clothing_assured: bool
    compulsory_education_assured: bool
    medical_insurance_enrolled: bool
    drinking_water_safe: bool


@dataclass(frozen=True, slots=True)
class HouseholdRules:
    """What a jurisdiction's household standard asks for, beyond the income line.

    ``stable_years``: how many consecutive years, ending with the year judged, the
    income must exceed each year's line. ``drinking_water``: Heilongjiang adds
    safe drinking water (实现饮水安全) to 两不愁三保障.
    """

    stable_years: int = 1
    drinking_water: bool = False


def check_household(
    *,
    year: int,
    incomes: Sequence[IncomeYear],
    assessment: Assessment | None,
    rules: HouseholdRules,
) -> StandardCheck:
    shortfalls = [*_income_shortfalls(year, incomes, rules.stable_years)]
    shortfalls += _assessment_shortfalls(year, assessment, rules)
    return StandardCheck(tuple(shortfalls))


def _income_shortfalls(
    year: int, incomes: Sequence[IncomeYear], stable_years: int
) -> list[Shortfall]:
    by_year = {entry.year: entry for entry in incomes}
    problems: list[str] = []
    for judged in range(year - stable_years + 1, year + 1):
        entry = by_year.get(judged)
        if entry is None or entry.per_capita is None:
            problems.append(f"no income recorded for {judged}")
        elif entry.line is None:
            problems.append(f"no poverty line of the household's standard for {judged}")
        elif entry.per_capita <= entry.line:
            problems.append(
                f"per-capita net income {entry.per_capita} in {judged} "
                f"does not exceed the line {entry.line}"
            )
    return [Shortfall(Criterion.INCOME, "; ".join(problems))] if problems else []


def _assessment_shortfalls(
    year: int, assessment: Assessment | None, rules: HouseholdRules
) -> list[Shortfall]:
    if assessment is None:
        missing = f"no 两不愁三保障 assessment recorded for {year}"
        criteria = [
            Criterion.FOOD_AND_CLOTHING,
            Criterion.COMPULSORY_EDUCATION,
            Criterion.BASIC_MEDICAL_CARE,
            Criterion.SAFE_HOUSING,
        ]
        if rules.drinking_water:
            criteria.append(Criterion.SAFE_DRINKING_WATER)
        return [Shortfall(c, missing) for c in criteria]
    found: list[Shortfall] = []
    if not assessment.food_and_clothing_assured:
        found.append(Shortfall(Criterion.FOOD_AND_CLOTHING, "food and clothing not assured"))
    if not assessment.compulsory_education_assured:
        found.append(
            Shortfall(Criterion.COMPULSORY_EDUCATION, "a child aged 6-15 is out of school")
        )
    if not assessment.medical_insurance_enrolled:
        found.append(
            Shortfall(Criterion.BASIC_MEDICAL_CARE, "not every member has medical insurance")
        )
    if not assessment.housing_grade.safe:
        found.append(
            Shortfall(
                Criterion.SAFE_HOUSING, f"housing graded {assessment.housing_grade} is unsafe"
            )
        )
    if rules.drinking_water and not assessment.drinking_water_safe:
        found.append(Shortfall(Criterion.SAFE_DRINKING_WATER, "drinking water is not safe"))
    return found


# ---------------------------------------------------------------- hard blocks (十不脱)


@dataclass(frozen=True, slots=True)
class HardBlocks:
    """The parameters of the four hard blocks, as policies/standards.yaml states them.

    ``unsafe_grades``: housing grades that block. A child whose age on
    ``age_reckoned_on`` (month, day) of the year judged lies in ``school_ages``
    (inclusive) must have a schooling status in ``schooling``. A member whose health is
    in ``serious`` must be recorded as treated. Income blocks when every kind with a
    positive amount is in ``transfer_kinds``.
    """

    unsafe_grades: frozenset[HousingGrade]
    school_ages: tuple[int, int]
    age_reckoned_on: tuple[int, int]
    schooling: frozenset[SchoolingStatus]
    serious: frozenset[Health]
    transfer_kinds: frozenset[IncomeKind]


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the blocks read of one member, from the register."""

    relation: Relation
    birth_date: date
    schooling: SchoolingStatus
    health: Health
    serious_illness_treated: bool | None
    joined_year: int | None = None
    left_year: int | None = None


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """A household's recorded facts for the year judged.

    ``housing_grade`` is the latest assessment's (None: no assessment);
    ``income_kinds`` the kinds of income with a positive amount (costs are not income).
    """

    housing_grade: HousingGrade | None
    members: Sequence[MemberFacts]
    income_kinds: frozenset[IncomeKind]


def check_hard_blocks(*, year: int, facts: HouseholdFacts, blocks: HardBlocks) -> StandardCheck:
    """Every hard block the household's recorded facts for ``year`` run into.

    A fact that is not recorded does not clear a block: no housing grade blocks, and a
    serious illness not recorded as treated blocks.
    """
    found = [
        *_housing_block(year, facts.housing_grade, blocks),
        *_school_block(year, facts.members, blocks),
        *_illness_block(year, facts.members, blocks),
        *_income_block(year, facts.income_kinds, blocks),
    ]
    return StandardCheck(tuple(found))


def _housing_block(year: int, grade: HousingGrade | None, blocks: HardBlocks) -> list[Shortfall]:
    if grade is None:
        return [Shortfall(Criterion.BLOCK_UNSAFE_HOUSING, f"no housing grade recorded for {year}")]
    if grade in blocks.unsafe_grades:
        return [Shortfall(Criterion.BLOCK_UNSAFE_HOUSING, f"housing graded {grade} ({zh(grade)})")]
    return []


def _members_in(year: int, members: Sequence[MemberFacts]) -> list[MemberFacts]:
    return [
        m
        for m in members
        if member_counts_in(year, joined_year=m.joined_year, left_year=m.left_year)
    ]


def _school_block(year: int, members: Sequence[MemberFacts], blocks: HardBlocks) -> list[Shortfall]:
    day = date(year, *blocks.age_reckoned_on)
    low, high = blocks.school_ages
    out = []
    for member in _members_in(year, members):
        age = age_on(member.birth_date, day)
        if low <= age <= high and member.schooling not in blocks.schooling:
            out.append(
                Shortfall(
                    Criterion.BLOCK_SCHOOL_DROPOUT,
                    f"{zh(member.relation)} aged {age} on {day.isoformat()} is "
                    f"{zh(member.schooling)} ({member.schooling})",
                )
            )
    return out


def _illness_block(
    year: int, members: Sequence[MemberFacts], blocks: HardBlocks
) -> list[Shortfall]:
    out = []
    for member in _members_in(year, members):
        if member.health in blocks.serious and member.serious_illness_treated is not True:
            state = (
                "not treated"
                if member.serious_illness_treated is False
                else "no treatment recorded"
            )
            out.append(
                Shortfall(
                    Criterion.BLOCK_UNTREATED_SERIOUS_ILLNESS,
                    f"{zh(member.relation)} {zh(member.health)}: {state}",
                )
            )
    return out


def _income_block(year: int, kinds: frozenset[IncomeKind], blocks: HardBlocks) -> list[Shortfall]:
    if kinds and kinds <= blocks.transfer_kinds:
        labels = "、".join(zh(k) for k in sorted(kinds))
        return [
            Shortfall(
                Criterion.BLOCK_TRANSFER_INCOME_ONLY, f"the only income in {year} is {labels}"
            )
        ]
    return []


# ---------------------------------------------------------------- incidence


@dataclass(frozen=True, slots=True)
class Incidence:
    """贫困发生率: registered poor population ÷ rural population."""

    poor: int
    rural: int

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.poor, self.rural) if self.rural > 0 else None

    @property
    def percent(self) -> Decimal | None:
        """The rate in percent, to two decimals, for display only (checks use ``fraction``)."""
        fraction = self.fraction
        if fraction is None:
            return None
        return (Decimal(fraction.numerator * 100) / Decimal(fraction.denominator)).quantize(
            Decimal("0.01")
        )


@dataclass(frozen=True, slots=True)
class IncidenceBar:
    """The highest incidence at which a village or county may exit."""

    max_rate: Decimal
    inclusive: bool = True

    def check(self, incidence: Incidence) -> StandardCheck:
        fraction = incidence.fraction
        if fraction is None:
            detail = "no rural population recorded"
            return StandardCheck((Shortfall(Criterion.INCIDENCE, detail),))
        bar = Fraction(self.max_rate)
        if fraction < bar or (self.inclusive and fraction == bar):
            return StandardCheck(())
        word = "above" if self.inclusive else "not below"
        detail = f"incidence {incidence.percent}% is {word} {self.max_rate * 100:.2f}%"
        return StandardCheck((Shortfall(Criterion.INCIDENCE, detail),))
