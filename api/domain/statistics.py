"""Statistics per unit and year, kept as changes happen (DOMAIN.md §7, issue 7).

A unit's figures for a year are folded from rows of *changes* per unit and year: how
many households were registered, exited, returned, proposed in that year, and by how
much the registered poor population changed. Counts that are stocks (households still
poor at the end of a year, households registered so far) are sums of changes up to the
year, so an exit in 2016 changes one row per unit, not one per later year, and no year
ever needs rolling over.

A household's changes follow from its history alone (registration, exit and return
years, and which years each member counted in), so a write computes the household's
changes before and after and stores the difference: ``household_changes`` is the one
statement of that rule, and ``api.domain.households.registered_poor_in`` is what its
poor counts must agree with (a test holds them together).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from api.domain.income import member_counts_in
from api.domain.jurisdictions import ancestors
from api.domain.procedures import Check
from api.domain.standards import (
    Criterion,
    Incidence,
    IncidenceBar,
    StandardCheck,
    check_facilities,
    combine,
)


class Measure(StrEnum):
    """One column of the statistics rows: a count of changes in a unit and year."""

    REGISTERED_HOUSEHOLDS = "registered_households"
    """Households registered (建档立卡) in the year."""
    REGISTERED_POPULATION = "registered_population"
    """Their members counted in that year."""
    POOR_HOUSEHOLDS = "poor_households"
    """Change in households registered poor at the end of the year."""
    POOR_POPULATION = "poor_population"
    """Change in the registered poor population: incidence's numerator."""
    PROPOSED_HOUSEHOLDS = "proposed_households"
    """Households proposed for exit (拟退出) for the year: exit applications opened."""
    EXITED_HOUSEHOLDS = "exited_households"
    EXITED_POPULATION = "exited_population"
    RETURNED_HOUSEHOLDS = "returned_households"
    """Exited households returned to poverty (返贫) in the year."""
    RETURNED_POPULATION = "returned_population"
    PROPOSED_VILLAGES = "proposed_villages"
    EXITED_VILLAGES = "exited_villages"
    PROPOSED_COUNTIES = "proposed_counties"
    EXITED_COUNTIES = "exited_counties"
    RURAL_POPULATION = "rural_population"
    """Not a change: the year's recorded rural population (incidence's denominator)."""


MEASURES = tuple(Measure)

Changes = Counter[tuple[int, Measure]]
"""Changes by (year, measure) of one subject (a household, a village, a county)."""

UnitChanges = dict[tuple[str, int], Counter[Measure]]
"""Changes by (unit code, year), for the unit of the subject and every unit above it."""


@dataclass(frozen=True, slots=True)
class MemberSpan:
    """The years a member counts in: from ``joined_year`` (or always) to the year before
    ``left_year`` (or for good), as ``api.domain.income.member_counts_in`` says."""

    joined_year: int | None
    left_year: int | None

    def counts_in(self, year: int) -> bool:
        return member_counts_in(year, joined_year=self.joined_year, left_year=self.left_year)


@dataclass(frozen=True, slots=True)
class HouseholdHistory:
    """What a household's statistics follow from."""

    village_code: str
    registered_year: int
    exited_year: int | None
    returned_year: int | None
    members: tuple[MemberSpan, ...]

    def returned(self) -> bool:
        """Whether ``returned_year`` counts: a return after the latest exit."""
        return (
            self.exited_year is not None
            and self.returned_year is not None
            and self.returned_year >= self.exited_year
        )

    def poor_spans(self) -> list[tuple[int, int | None]]:
        """The years the household is registered poor, as half-open [start, end) spans
        (end None: still poor)."""
        if self.exited_year is None:
            return [(self.registered_year, None)]
        spans: list[tuple[int, int | None]] = []
        if self.exited_year > self.registered_year:
            spans.append((self.registered_year, self.exited_year))
        if self.returned():
            assert self.returned_year is not None
            spans.append((max(self.returned_year, self.registered_year), None))
        return spans


def household_changes(history: HouseholdHistory) -> Changes:
    """The household's changes to its village's statistics, by (year, measure)."""
    changes: Changes = Counter()
    members = history.members

    def event(year: int, households: Measure, population: Measure) -> None:
        changes[(year, households)] += 1
        changes[(year, population)] += sum(1 for m in members if m.counts_in(year))

    event(history.registered_year, Measure.REGISTERED_HOUSEHOLDS, Measure.REGISTERED_POPULATION)
    if history.exited_year is not None:
        event(history.exited_year, Measure.EXITED_HOUSEHOLDS, Measure.EXITED_POPULATION)
    if history.returned():
        assert history.returned_year is not None
        event(history.returned_year, Measure.RETURNED_HOUSEHOLDS, Measure.RETURNED_POPULATION)
    for start, end in history.poor_spans():
        _span(changes, Measure.POOR_HOUSEHOLDS, start, end)
        for member in members:
            low = start if member.joined_year is None else max(start, member.joined_year)
            high = _min_end(end, member.left_year)
            if high is None or low < high:
                _span(changes, Measure.POOR_POPULATION, low, high)
    return Counter({key: n for key, n in changes.items() if n})  # (unary + drops negatives)


def _span(changes: Changes, measure: Measure, start: int, end: int | None) -> None:
    changes[(start, measure)] += 1
    if end is not None:
        changes[(end, measure)] -= 1


def _min_end(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def difference(before: Changes, after: Changes) -> Changes:
    """What to add to stored rows when a subject's changes go from ``before`` to ``after``
    (zeros dropped; negative counts kept)."""
    result: Changes = Counter(after)
    result.subtract(before)
    return Counter({key: n for key, n in result.items() if n})


def by_unit(code: str, changes: Changes, into: UnitChanges | None = None) -> UnitChanges:
    """Changes of a subject in unit ``code``, for that unit and every unit above it."""
    result: UnitChanges = {} if into is None else into
    units = [*ancestors(code), code]
    for (year, measure), n in changes.items():
        for unit in units:
            result.setdefault((unit, year), Counter())[measure] += n
    return result


def households_by_unit(
    pairs: Iterable[tuple[HouseholdHistory | None, HouseholdHistory | None]],
) -> UnitChanges:
    """The unit changes of households going from a history (None: not there) to another
    (None: gone). A household moved to another village leaves one and enters the other."""
    result: UnitChanges = {}
    for before, after in pairs:
        # What was there is taken away and what is there now added: in one village the
        # two net out to the difference, and units left with nothing are dropped below.
        if before is not None:
            by_unit(before.village_code, difference(household_changes(before), Counter()), result)
        if after is not None:
            by_unit(after.village_code, household_changes(after), result)
    return {key: counts for key, counts in result.items() if any(counts.values())}


def event(year: int, measure: Measure, n: int = 1) -> Changes:
    """A single change: a proposal, a village's or county's exit (n=-1 to undo it)."""
    return Counter({(year, measure): n})


# ---------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Figures:
    """A unit's statistics for a year."""

    year: int
    registered_households: int
    """Registered by the end of the year (累计建档立卡)."""
    registered_population: int
    newly_registered_households: int
    newly_registered_population: int
    poor_households: int
    """Still registered poor at the end of the year."""
    poor_population: int
    proposed_households: int
    exited_households: int
    exited_population: int
    returned_households: int
    returned_population: int
    proposed_villages: int
    exited_villages: int
    proposed_counties: int
    exited_counties: int
    rural_population: int

    @property
    def incidence(self) -> Incidence:
        return Incidence(poor=self.poor_population, rural=self.rural_population)


def fold(year: int, rows: Mapping[int, Mapping[Measure, int]]) -> Figures:
    """A unit's figures for ``year`` from its stored rows by year (any years; later
    years are ignored)."""
    upto: Counter[Measure] = Counter()
    for row_year, counts in rows.items():
        if row_year <= year:
            upto.update(counts)
    this = rows.get(year, {})

    def at(measure: Measure) -> int:
        return this.get(measure, 0)

    return Figures(
        year=year,
        registered_households=upto[Measure.REGISTERED_HOUSEHOLDS],
        registered_population=upto[Measure.REGISTERED_POPULATION],
        newly_registered_households=at(Measure.REGISTERED_HOUSEHOLDS),
        newly_registered_population=at(Measure.REGISTERED_POPULATION),
        poor_households=upto[Measure.POOR_HOUSEHOLDS],
        poor_population=upto[Measure.POOR_POPULATION],
        proposed_households=at(Measure.PROPOSED_HOUSEHOLDS),
        exited_households=at(Measure.EXITED_HOUSEHOLDS),
        exited_population=at(Measure.EXITED_POPULATION),
        returned_households=at(Measure.RETURNED_HOUSEHOLDS),
        returned_population=at(Measure.RETURNED_POPULATION),
        proposed_villages=at(Measure.PROPOSED_VILLAGES),
        exited_villages=at(Measure.EXITED_VILLAGES),
        proposed_counties=at(Measure.PROPOSED_COUNTIES),
        exited_counties=at(Measure.EXITED_COUNTIES),
        rural_population=at(Measure.RURAL_POPULATION),
    )


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """Exits for the year against the annual exit plan (年度退出计划)."""

    planned: int
    done: int

    @property
    def remaining(self) -> int:
        return max(self.planned - self.done, 0)

    @property
    def met(self) -> bool:
        return self.done >= self.planned


@dataclass(frozen=True, slots=True)
class Tally:
    """Designated poor villages or counties under a unit, for a year."""

    designated: int
    meeting_standard: int
    """Meeting the checks their exit is judged on before proposal."""


def tally(code: str, met: Mapping[str, bool]) -> Tally:
    """The subjects under unit ``code`` among ``met`` (subject code -> meets its standard)."""
    under = [ok for subject, ok in met.items() if subject.startswith(code)]
    return Tally(designated=len(under), meeting_standard=sum(under))


def subject_check(
    incidence: Incidence,
    *,
    bar: IncidenceBar,
    checks: Sequence[Check],
    facilities: Mapping[Criterion, bool] | None,
    year: int,
) -> StandardCheck:
    """A village's or county's standard for ``year``, as its proposal would judge it:
    the incidence bar if its procedure checks incidence, and the facilities it checks."""
    result = bar.check(incidence) if Check.INCIDENCE in checks else StandardCheck(())
    required = [
        Criterion(c.value) for c in checks if c not in (Check.INCIDENCE, Check.HOUSEHOLD_STANDARD)
    ]
    if required:
        present = None if facilities is None else dict(facilities)
        result = combine(result, check_facilities(present, required=required, year=year))
    return result
