"""Third-party evaluation of a county's exit (三率一度, the 2017 rules), from its samples.

An evaluator records the villages it sampled (each with the rural population its survey
covered) and, in each, the households it surveyed: how many people, whether registered
(建档立卡), whether exited, whether found poor, whether they recognise the exit. Every
registered household the survey covers is recorded, and so is every non-registered
household it asks; so the surveyed rural population less the registered people found
is the non-registered population of the sampled villages. The indicators, in people
but for recognition (in households):

- 综合贫困发生率 (remaining poor + omitted + wrongly exited) ÷ rural population surveyed;
  remaining poor: registered, not exited; omitted (漏评): not registered, found poor;
  wrongly exited (错退): registered, exited, found poor.
- 错退率 wrongly exited ÷ exited people in the sample.
- 漏评率 omitted ÷ non-registered rural people of the sampled villages.
- 群众认可度 households recognising the exit ÷ households surveyed.

Rates are exact fractions compared with the bar's exact value; the percent is for
display. An indicator whose denominator is zero is not met: a pass needs samples.
Pure: no framework, no IO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from api.domain.register import RegionClass


class Indicator(StrEnum):
    COMPREHENSIVE_INCIDENCE = "comprehensive_incidence"
    WRONGFUL_EXIT_RATE = "wrongful_exit_rate"
    OMISSION_RATE = "omission_rate"
    PUBLIC_RECOGNITION = "public_recognition"


INDICATOR_ZH: dict[Indicator, str] = {
    Indicator.COMPREHENSIVE_INCIDENCE: "综合贫困发生率",
    Indicator.WRONGFUL_EXIT_RATE: "脱贫人口错退率",
    Indicator.OMISSION_RATE: "贫困人口漏评率",
    Indicator.PUBLIC_RECOGNITION: "群众认可度",
}


class Comparison(StrEnum):
    """How a rate must stand to its bar. 低于 is strict; 以上 and 以下 include the number."""

    BELOW = "below"
    AT_MOST = "at_most"
    AT_LEAST = "at_least"
    ABOVE = "above"


COMPARISON_ZH: dict[Comparison, str] = {
    Comparison.BELOW: "低于",
    Comparison.AT_MOST: "不高于",
    Comparison.AT_LEAST: "不低于",
    Comparison.ABOVE: "高于",
}


@dataclass(frozen=True, slots=True)
class Bar:
    """A bound on a rate (a fraction between 0 and 1)."""

    rate: Decimal
    comparison: Comparison

    def met(self, value: Fraction) -> bool:
        bound = Fraction(self.rate)
        match self.comparison:
            case Comparison.BELOW:
                return value < bound
            case Comparison.AT_MOST:
                return value <= bound
            case Comparison.AT_LEAST:
                return value >= bound
            case Comparison.ABOVE:
                return value > bound


@dataclass(frozen=True, slots=True)
class EvaluationBars:
    comprehensive_incidence: Mapping[RegionClass, Bar]
    wrongful_exit_rate: Bar
    omission_rate: Bar
    public_recognition: Bar

    def bar(self, indicator: Indicator, region: RegionClass) -> Bar:
        if indicator is Indicator.COMPREHENSIVE_INCIDENCE:
            return self.comprehensive_incidence[region]
        bars = {
            Indicator.WRONGFUL_EXIT_RATE: self.wrongful_exit_rate,
            Indicator.OMISSION_RATE: self.omission_rate,
            Indicator.PUBLIC_RECOGNITION: self.public_recognition,
        }
        return bars[indicator]


class Finding(StrEnum):
    """What the survey makes of a sampled household, from what was recorded of it."""

    REMAINING_POOR = "remaining_poor"
    EXITED = "exited"
    WRONGLY_EXITED = "wrongly_exited"
    OMITTED = "omitted"
    NOT_POOR = "not_poor"


FINDING_ZH: dict[Finding, str] = {
    Finding.REMAINING_POOR: "未脱贫",
    Finding.EXITED: "已脱贫（核实）",
    Finding.WRONGLY_EXITED: "错退",
    Finding.OMITTED: "漏评",
    Finding.NOT_POOR: "非贫困户（核实）",
}


@dataclass(frozen=True, slots=True)
class SampledHousehold:
    people: int
    registered: bool
    exited: bool
    found_poor: bool
    recognises: bool

    @property
    def finding(self) -> Finding:
        if not self.registered:
            return Finding.OMITTED if self.found_poor else Finding.NOT_POOR
        if not self.exited:
            return Finding.REMAINING_POOR
        return Finding.WRONGLY_EXITED if self.found_poor else Finding.EXITED


@dataclass(frozen=True, slots=True)
class SampledVillage:
    code: str
    rural_population: int
    households: Sequence[SampledHousehold]


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    indicator: Indicator
    numerator: int
    denominator: int
    bar: Bar
    met: bool

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def percent(self) -> Decimal | None:
        """The rate in percent, to two decimals, for display only (``met`` is exact)."""
        value = self.value
        if value is None:
            return None
        exact = Decimal(value.numerator * 100) / Decimal(value.denominator)
        return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def detail(self) -> str:
        bar = f"{COMPARISON_ZH[self.bar.comparison]}{self.bar.rate * 100:.2f}%"
        if self.value is None:
            return f"nothing sampled to compute it from; the bar is {bar}"
        verdict = "meets" if self.met else "does not meet"
        return f"{self.numerator} ÷ {self.denominator} = {self.percent}%, {verdict} {bar}"


@dataclass(frozen=True, slots=True)
class Evaluation:
    indicators: tuple[IndicatorResult, ...]

    @property
    def passed(self) -> bool:
        """A county passes only when every indicator holds."""
        return all(result.met for result in self.indicators)


def evaluate(
    villages: Sequence[SampledVillage], *, region: RegionClass, bars: EvaluationBars
) -> Evaluation:
    households = [h for village in villages for h in village.households]

    def people(*findings: Finding) -> int:
        return sum(h.people for h in households if h.finding in findings)

    rural = sum(v.rural_population for v in villages)
    registered = sum(h.people for h in households if h.registered)
    counts = {
        Indicator.COMPREHENSIVE_INCIDENCE: (
            people(Finding.REMAINING_POOR, Finding.OMITTED, Finding.WRONGLY_EXITED),
            rural,
        ),
        Indicator.WRONGFUL_EXIT_RATE: (
            people(Finding.WRONGLY_EXITED),
            people(Finding.EXITED, Finding.WRONGLY_EXITED),
        ),
        Indicator.OMISSION_RATE: (people(Finding.OMITTED), max(rural - registered, 0)),
        Indicator.PUBLIC_RECOGNITION: (sum(h.recognises for h in households), len(households)),
    }
    results = []
    for indicator, (numerator, denominator) in counts.items():
        bar = bars.bar(indicator, region)
        met = denominator > 0 and bar.met(Fraction(numerator, denominator))
        results.append(IndicatorResult(indicator, numerator, denominator, bar, met))
    return Evaluation(tuple(results))
