"""The household standard and the incidence bar, at their boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.domain.register import HousingGrade, StandardKind
from api.domain.standards import (
    Assessment,
    Criterion,
    HouseholdRules,
    Incidence,
    IncidenceBar,
    IncomeYear,
    PovertyLine,
    applicable_line,
    check_household,
)

LINE = Decimal("2952")
SOUND = Assessment(
    housing_grade=HousingGrade.B,
    food_and_clothing_assured=True,
    compulsory_education_assured=True,
    medical_insurance_enrolled=True,
    drinking_water_safe=True,
)


def check(per_capita: Decimal | None, assessment: Assessment | None = SOUND, **rules: object):  # type: ignore[no-untyped-def]
    return check_household(
        year=2016,
        incomes=[IncomeYear(2016, per_capita, LINE)],
        assessment=assessment,
        rules=HouseholdRules(**rules),  # type: ignore[arg-type]
    )


def test_income_exactly_at_the_line_does_not_exceed_it() -> None:
    result = check(LINE)
    assert result.failed == (Criterion.INCOME,)
    assert "does not exceed the line 2952" in result.shortfalls[0].detail


def test_one_fen_above_the_line_meets_it() -> None:
    assert check(LINE + Decimal("0.01")).met


def test_no_income_recorded_is_a_failure_not_a_pass() -> None:
    assert check(None).failed == (Criterion.INCOME,)


def test_stability_asks_every_year_of_the_window_to_exceed_its_own_line() -> None:
    incomes = [IncomeYear(2015, Decimal("2800"), Decimal("2855")), IncomeYear(2016, LINE + 1, LINE)]
    result = check_household(
        year=2016, incomes=incomes, assessment=SOUND, rules=HouseholdRules(stable_years=2)
    )
    assert result.failed == (Criterion.INCOME,)
    assert "2015" in result.shortfalls[0].detail
    assert check_household(
        year=2016, incomes=incomes, assessment=SOUND, rules=HouseholdRules(stable_years=1)
    ).met


def test_every_failing_criterion_is_named_at_once() -> None:
    poor = Assessment(
        housing_grade=HousingGrade.C,
        food_and_clothing_assured=False,
        compulsory_education_assured=False,
        medical_insurance_enrolled=False,
        drinking_water_safe=False,
    )
    result = check(LINE - 1, poor, drinking_water=True)
    assert set(result.failed) == {
        Criterion.INCOME,
        Criterion.FOOD_AND_CLOTHING,
        Criterion.COMPULSORY_EDUCATION,
        Criterion.BASIC_MEDICAL_CARE,
        Criterion.SAFE_HOUSING,
        Criterion.SAFE_DRINKING_WATER,
    }


@pytest.mark.parametrize(("grade", "safe"), [("A", True), ("B", True), ("C", False), ("D", False)])
def test_housing_grades_a_and_b_are_safe(grade: str, safe: bool) -> None:
    assessment = Assessment(HousingGrade(grade), True, True, True, True)
    assert check(LINE + 1, assessment).met is safe


def test_drinking_water_counts_only_where_the_province_asks_for_it() -> None:
    dry = Assessment(HousingGrade.A, True, True, True, drinking_water_safe=False)
    assert check(LINE + 1, dry, drinking_water=False).met
    assert check(LINE + 1, dry, drinking_water=True).failed == (Criterion.SAFE_DRINKING_WATER,)


def test_without_an_assessment_each_guarantee_is_unproven() -> None:
    result = check(LINE + 1, None, drinking_water=True)
    assert Criterion.SAFE_HOUSING in result.failed
    assert Criterion.SAFE_DRINKING_WATER in result.failed
    assert "no 两不愁三保障 assessment" in result.shortfalls[0].detail


def test_the_most_local_line_of_the_households_kind_applies() -> None:
    lines = [
        PovertyLine("", 2016, StandardKind.NATIONAL, LINE),
        PovertyLine("23", 2016, StandardKind.PROVINCIAL, Decimal("3200")),
        PovertyLine("2302", 2016, StandardKind.PROVINCIAL, Decimal("3300")),
        PovertyLine("23", 2015, StandardKind.PROVINCIAL, Decimal("3100")),
    ]
    village = "230231101200"
    found = applicable_line(lines, unit_code=village, year=2016, kind=StandardKind.PROVINCIAL)
    assert found is not None
    assert found.amount == Decimal("3300")
    national = applicable_line(lines, unit_code=village, year=2016, kind=StandardKind.NATIONAL)
    assert national is not None
    assert national.amount == LINE
    assert (
        applicable_line(lines, unit_code="371302", year=2016, kind=StandardKind.PROVINCIAL) is None
    )


# ------------------------------------------------------------------ incidence

BAR = IncidenceBar(Decimal("0.02"), inclusive=True)


def test_incidence_of_exactly_two_percent_meets_an_inclusive_bar() -> None:
    exactly = Incidence(poor=20, rural=1000)
    assert exactly.percent == Decimal("2.00")
    assert BAR.check(exactly).met


def test_exactly_two_percent_fails_a_strict_bar() -> None:
    strict = IncidenceBar(Decimal("0.02"), inclusive=False)
    result = strict.check(Incidence(poor=20, rural=1000))
    assert result.failed == (Criterion.INCIDENCE,)
    assert "not below 2.00%" in result.shortfalls[0].detail


def test_just_above_two_percent_fails_even_when_display_rounds_to_two() -> None:
    above = Incidence(poor=20001, rural=1000000)  # 2.0001%
    assert above.percent == Decimal("2.00")
    assert BAR.check(above).failed == (Criterion.INCIDENCE,)
    assert BAR.check(Incidence(poor=19999, rural=1000000)).met


def test_no_rural_population_means_no_incidence_and_no_exit() -> None:
    empty = Incidence(poor=0, rural=0)
    assert empty.fraction is None
    assert empty.percent is None
    assert "no rural population" in BAR.check(empty).shortfalls[0].detail


def test_village_facilities_name_each_missing_one() -> None:
    from api.domain.standards import VILLAGE_FACILITIES, check_facilities

    present = dict.fromkeys(VILLAGE_FACILITIES, True) | {Criterion.BROADBAND: False}
    result = check_facilities(present, required=VILLAGE_FACILITIES, year=2016)
    assert result.failed == (Criterion.BROADBAND,)
    assert check_facilities(None, required=VILLAGE_FACILITIES, year=2016).failed == (
        VILLAGE_FACILITIES
    )
    assert check_facilities(None, required=(), year=2016).met
