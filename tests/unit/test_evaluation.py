"""三率一度 from samples: each indicator exactly at its bar and one person or household
either side, with the bars the policy file states (低于 strict, 以上 inclusive)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import yaml

from api.domain.evaluation import (
    Bar,
    Comparison,
    Evaluation,
    Finding,
    Indicator,
    SampledHousehold,
    SampledVillage,
    evaluate,
)
from api.domain.register import RegionClass
from api.domain.rules import parse_standards
from api.errors import ValidationFailed
from api.policy_files import POLICIES_DIR, load_standards

BARS = load_standards().evaluation_bars


def h(
    people: int = 1,
    *,
    registered: bool = True,
    exited: bool = True,
    poor: bool = False,
    recognises: bool = True,
) -> SampledHousehold:
    return SampledHousehold(people, registered, exited, poor, recognises)


def run(
    households: list[SampledHousehold], rural: int, region: RegionClass = RegionClass.GENERAL
) -> Evaluation:
    return evaluate([SampledVillage("230231101200", rural, households)], region=region, bars=BARS)


def result(evaluation: Evaluation, indicator: Indicator) -> Any:
    return next(r for r in evaluation.indicators if r.indicator is indicator)


def test_the_policy_reads_below_as_strict_and_at_least_as_inclusive() -> None:
    assert BARS.comprehensive_incidence[RegionClass.GENERAL] == Bar(
        Decimal("0.02"), Comparison.BELOW
    )
    assert BARS.comprehensive_incidence[RegionClass.WESTERN] == Bar(
        Decimal("0.03"), Comparison.BELOW
    )
    assert BARS.wrongful_exit_rate == Bar(Decimal("0.02"), Comparison.BELOW)
    assert BARS.omission_rate == Bar(Decimal("0.02"), Comparison.BELOW)
    assert BARS.public_recognition == Bar(Decimal("0.90"), Comparison.AT_LEAST)


@pytest.mark.parametrize(
    ("registered", "exited", "poor", "finding"),
    [
        (True, False, False, Finding.REMAINING_POOR),
        (True, False, True, Finding.REMAINING_POOR),
        (True, True, False, Finding.EXITED),
        (True, True, True, Finding.WRONGLY_EXITED),
        (False, False, True, Finding.OMITTED),
        (False, False, False, Finding.NOT_POOR),
    ],
)
def test_what_a_sampled_household_counts_as(
    registered: bool, exited: bool, poor: bool, finding: Finding
) -> None:
    assert h(registered=registered, exited=exited, poor=poor).finding is finding


# ---------------------------------------------------------------- 综合贫困发生率


def incidence(poor_people: int, rural: int, region: RegionClass = RegionClass.GENERAL) -> Any:
    """``poor_people`` counted once each way: remaining, omitted and wrongly exited."""
    third = poor_people // 3
    households = [
        h(third, exited=False),
        h(third, registered=False, exited=False, poor=True),
        h(poor_people - 2 * third, poor=True),
    ]
    return result(run(households, rural, region), Indicator.COMPREHENSIVE_INCIDENCE)


@pytest.mark.parametrize(("poor", "met"), [(19, True), (20, False), (21, False)])
def test_comprehensive_incidence_must_be_below_2_percent(poor: int, met: bool) -> None:
    found = incidence(poor, 1000)
    assert (found.numerator, found.denominator) == (poor, 1000)
    assert found.met is met


def test_exactly_2_percent_fails_and_shows_as_2_00() -> None:
    found = incidence(20, 1000)
    assert found.value == Fraction(1, 50)
    assert found.percent == Decimal("2.00")
    assert not found.met
    assert found.detail == "20 ÷ 1000 = 2.00%, does not meet 低于2.00%"


@pytest.mark.parametrize(("poor", "met"), [(29, True), (30, False), (20, True)])
def test_a_western_county_must_be_below_3_percent(poor: int, met: bool) -> None:
    assert incidence(poor, 1000, RegionClass.WESTERN).met is met


def test_the_bar_is_compared_exactly_not_after_rounding() -> None:
    """1999 in 100,000 is 1.999%: shown as 2.00, met; 2001 is 2.001%: shown as 2.00, not."""
    below, above = incidence(1999, 100_000), incidence(2001, 100_000)
    assert below.percent == above.percent == Decimal("2.00")
    assert (below.met, above.met) == (True, False)


# ---------------------------------------------------------------- 错退率


@pytest.mark.parametrize(("wrong", "met"), [(1, True), (2, False), (3, False)])
def test_wrongful_exits_must_be_below_2_percent_of_exited_people(wrong: int, met: bool) -> None:
    """100 exited people sampled: 2 wrongly exited is exactly 2%."""
    households = [h(wrong, poor=True), h(100 - wrong)]
    found = result(run(households, 10_000), Indicator.WRONGFUL_EXIT_RATE)
    assert (found.numerator, found.denominator, found.met) == (wrong, 100, met)


def test_remaining_poor_are_not_exited_people() -> None:
    households = [h(1, poor=True), h(49), h(50, exited=False)]
    found = result(run(households, 10_000), Indicator.WRONGFUL_EXIT_RATE)
    assert (found.numerator, found.denominator) == (1, 50)


# ---------------------------------------------------------------- 漏评率


@pytest.mark.parametrize(("omitted", "met"), [(9, True), (10, False), (11, False)])
def test_omissions_must_be_below_2_percent_of_non_registered_people(
    omitted: int, met: bool
) -> None:
    """600 surveyed, 100 of them registered: 500 non-registered; 10 omitted is exactly 2%."""
    households = [h(100), h(omitted, registered=False, exited=False, poor=True)]
    found = result(run(households, 600), Indicator.OMISSION_RATE)
    assert (found.numerator, found.denominator, found.met) == (omitted, 500, met)


# ---------------------------------------------------------------- 群众认可度


@pytest.mark.parametrize(("recognising", "met"), [(89, False), (90, True), (91, True)])
def test_recognition_must_be_at_least_90_percent_of_households(recognising: int, met: bool) -> None:
    """Counted in households, whatever their size: 90 of 100 is exactly 90%."""
    households = [h(3, recognises=n < recognising) for n in range(100)]
    found = result(run(households, 10_000), Indicator.PUBLIC_RECOGNITION)
    assert (found.numerator, found.denominator, found.met) == (recognising, 100, met)
    if recognising == 90:
        assert found.percent == Decimal("90.00")


# ---------------------------------------------------------------- the county


def test_a_county_passes_only_when_all_four_hold() -> None:
    good = [h(1, exited=False)] + [h(1) for _ in range(99)]
    assert run(good, 1000).passed
    one_short = [h(1, exited=False, recognises=False)] + [
        h(1, recognises=n >= 10) for n in range(99)
    ]  # 89 of 100 recognise
    evaluation = run(one_short, 1000)
    assert not evaluation.passed
    assert [r.indicator for r in evaluation.indicators if not r.met] == [
        Indicator.PUBLIC_RECOGNITION
    ]


def test_without_samples_nothing_is_met() -> None:
    evaluation = evaluate([], region=RegionClass.GENERAL, bars=BARS)
    assert not evaluation.passed
    assert all(r.value is None and not r.met for r in evaluation.indicators)
    assert evaluation.indicators[0].detail == (
        "nothing sampled to compute it from; the bar is 低于2.00%"
    )


def test_samples_add_up_across_villages() -> None:
    villages = [
        SampledVillage("230231101200", 500, [h(5, exited=False)]),
        SampledVillage("230231101201", 500, [h(4, registered=False, exited=False, poor=True)]),
    ]
    found = evaluate(villages, region=RegionClass.GENERAL, bars=BARS)
    incidence_ = found.indicators[0]
    assert (incidence_.numerator, incidence_.denominator) == (9, 1000)
    omission = result(found, Indicator.OMISSION_RATE)
    assert (omission.numerator, omission.denominator) == (4, 995)


# ---------------------------------------------------------------- the policy file


def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (POLICIES_DIR / "standards.yaml").read_text(encoding="utf-8")
    )
    return loaded


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda e: e["omission_rate"].pop("inclusive"), "omission_rate.inclusive", "stated"),
        (lambda e: e["omission_rate"].pop("source"), "omission_rate", "source"),
        (
            lambda e: e["public_recognition"].update(max_rate="0.1"),
            "public_recognition",
            "exactly one",
        ),
        (
            lambda e: e["comprehensive_incidence"]["western"].update(max_rate="3"),
            "comprehensive_incidence.western.max_rate",
            "between 0 and 1",
        ),
    ],
)
def test_a_bad_evaluation_bar_names_its_entry(change: Any, path: str, message: str) -> None:
    data = _data()
    change(data["county_evaluation"])
    with pytest.raises(ValidationFailed, match=message) as raised:
        parse_standards(data)
    assert ".".join(raised.value.path) == f"county_evaluation.{path}"


def test_an_inclusive_max_and_a_strict_min_read_as_at_most_and_above() -> None:
    data = _data()
    data["county_evaluation"]["wrongful_exit_rate"]["inclusive"] = True
    data["county_evaluation"]["public_recognition"]["inclusive"] = False
    bars = parse_standards(data).evaluation_bars
    assert bars.wrongful_exit_rate.comparison is Comparison.AT_MOST
    assert bars.wrongful_exit_rate.met(Fraction(1, 50))
    assert bars.public_recognition.comparison is Comparison.ABOVE
    assert not bars.public_recognition.met(Fraction(9, 10))
