"""The kept statistics' rules: a household's changes folded up to a year must say what
registered_poor_in and member_counts_in say of that year, for any history."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import polars as pl
import pytest

from api.domain import statistics as stats
from api.domain import statistics_frames as frames
from api.domain.households import registered_poor_in
from api.domain.procedures import Check
from api.domain.standards import Criterion, Incidence, IncidenceBar
from api.domain.statistics import HouseholdHistory, Measure, MemberSpan

VILLAGE = "230231101200"
YEARS = range(2012, 2022)


def _random_history(rng: random.Random) -> HouseholdHistory:
    registered = rng.randint(2013, 2017)
    exited = rng.choice([None, *range(registered, 2020)])
    returned = None if exited is None else rng.choice([None, *range(2012, 2021)])
    members = []
    for _ in range(rng.randint(0, 5)):
        joined = rng.choice([None, *range(2010, 2020)])
        left = rng.choice([None, *range(2011, 2021)])
        members.append(MemberSpan(joined, left))
    return HouseholdHistory(VILLAGE, registered, exited, returned, tuple(members))


def _by_year(changes: stats.Changes) -> dict[int, Counter[Measure]]:
    rows: dict[int, Counter[Measure]] = {}
    for (year, measure), n in changes.items():
        rows.setdefault(year, Counter())[measure] += n
    return rows


def _poor(h: HouseholdHistory, year: int) -> bool:
    return registered_poor_in(
        year,
        registered_year=h.registered_year,
        exited_year=h.exited_year,
        returned_year=h.returned_year,
    )


@pytest.mark.parametrize("seed", range(40))
def test_folded_changes_agree_with_the_registers_rules_in_every_year(seed: int) -> None:
    rng = random.Random(seed)
    households = [_random_history(rng) for _ in range(30)]
    rows: dict[int, Counter[Measure]] = {}
    for household in households:
        for year, counts in _by_year(stats.household_changes(household)).items():
            rows.setdefault(year, Counter()).update(counts)
    for year in YEARS:
        figures = stats.fold(year, rows)
        poor = [h for h in households if _poor(h, year)]
        assert figures.poor_households == len(poor)
        assert figures.poor_population == sum(
            1 for h in poor for m in h.members if m.counts_in(year)
        )
        assert figures.registered_households == sum(
            1 for h in households if h.registered_year <= year
        )
        assert figures.exited_households == sum(1 for h in households if h.exited_year == year)
        assert figures.exited_population == sum(
            1 for h in households if h.exited_year == year for m in h.members if m.counts_in(year)
        )
        assert figures.returned_households == sum(
            1 for h in households if h.returned() and h.returned_year == year
        )


def test_an_exit_moves_one_household_and_its_members_out_from_the_exit_year() -> None:
    members = (MemberSpan(None, None), MemberSpan(None, None), MemberSpan(2015, None))
    before = HouseholdHistory(VILLAGE, 2014, None, None, members)
    after = HouseholdHistory(VILLAGE, 2014, 2016, None, members)
    difference = stats.difference(stats.household_changes(before), stats.household_changes(after))
    assert difference == Counter(
        {
            (2016, Measure.POOR_HOUSEHOLDS): -1,
            (2016, Measure.POOR_POPULATION): -3,
            (2016, Measure.EXITED_HOUSEHOLDS): 1,
            (2016, Measure.EXITED_POPULATION): 3,
        }
    )


def test_a_return_before_the_exit_does_not_count() -> None:
    history = HouseholdHistory(VILLAGE, 2014, 2016, 2015, (MemberSpan(None, None),))
    assert not history.returned()
    changes = stats.household_changes(history)
    assert (2015, Measure.RETURNED_HOUSEHOLDS) not in changes
    assert stats.fold(2017, _by_year(changes)).poor_households == 0


def test_changes_reach_every_unit_above_the_village() -> None:
    units = stats.by_unit(VILLAGE, stats.event(2016, Measure.PROPOSED_HOUSEHOLDS))
    assert sorted(code for code, _ in units) == [
        "23",
        "2302",
        "230231",
        "230231101",
        VILLAGE,
    ]
    assert all(counts == Counter({Measure.PROPOSED_HOUSEHOLDS: 1}) for counts in units.values())


def test_a_household_moved_to_another_village_leaves_one_and_enters_the_other() -> None:
    members = (MemberSpan(None, None),)
    before = HouseholdHistory(VILLAGE, 2014, None, None, members)
    after = HouseholdHistory("230231101201", 2014, None, None, members)
    units = stats.households_by_unit([(before, after)])
    assert units[(VILLAGE, 2014)][Measure.POOR_HOUSEHOLDS] == -1
    assert units[("230231101201", 2014)][Measure.POOR_HOUSEHOLDS] == 1
    assert ("230231101", 2014) not in units  # the township is where it was: nothing changes


def test_an_unchanged_history_changes_nothing() -> None:
    history = HouseholdHistory(VILLAGE, 2014, 2016, None, (MemberSpan(None, 2018),))
    assert stats.households_by_unit([(history, history)]) == {}


BAR = IncidenceBar(max_rate=Decimal("0.02"))
FACILITIES = (Check.INCIDENCE, Check.BROADBAND)


@pytest.mark.parametrize(
    ("poor", "broadband", "met"),
    [(2, True, True), (3, True, False), (2, False, False), (0, True, True)],
)
def test_a_village_meets_its_standard_on_the_bar_and_the_facilities_it_checks(
    poor: int, broadband: bool, met: bool
) -> None:
    check = stats.subject_check(
        Incidence(poor=poor, rural=100),
        bar=BAR,
        checks=FACILITIES,
        facilities={Criterion.BROADBAND: broadband},
        year=2016,
    )
    assert check.met is met


def test_without_indicators_a_village_checked_on_facilities_does_not_meet_its_standard() -> None:
    check = stats.subject_check(
        Incidence(poor=0, rural=100), bar=BAR, checks=FACILITIES, facilities=None, year=2016
    )
    assert not check.met
    assert [s.criterion for s in check.shortfalls] == [Criterion.BROADBAND]


def test_plan_progress() -> None:
    assert stats.PlanProgress(planned=10, done=4).remaining == 6
    assert not stats.PlanProgress(planned=10, done=4).met
    assert stats.PlanProgress(planned=10, done=12).remaining == 0
    assert stats.PlanProgress(planned=10, done=10).met


@pytest.mark.parametrize("seed", range(10))
def test_the_column_form_says_what_the_household_rule_says(seed: int) -> None:
    rng = random.Random(seed)
    villages = [VILLAGE, "230231101201", "230231102200", "371302199001"]
    histories = [
        HouseholdHistory(
            rng.choice(villages), h.registered_year, h.exited_year, h.returned_year, h.members
        )
        for h in (_random_history(rng) for _ in range(60))
    ]
    households = pl.DataFrame(
        {
            "key": [str(i) for i in range(len(histories))],
            "village_code": [h.village_code for h in histories],
            "registered_year": [h.registered_year for h in histories],
            "exited_year": [h.exited_year for h in histories],
            "returned_year": [h.returned_year for h in histories],
        },
        schema_overrides={"exited_year": pl.Int16, "returned_year": pl.Int16},
    )
    members = pl.DataFrame(
        {
            "key": [str(i) for i, h in enumerate(histories) for _ in h.members],
            "joined_year": [m.joined_year for h in histories for m in h.members],
            "left_year": [m.left_year for h in histories for m in h.members],
        },
        schema={"key": pl.String, "joined_year": pl.Int16, "left_year": pl.Int16},
    )
    expected = stats.households_by_unit((None, h) for h in histories)
    found = frames.changes_by_unit(households, members)
    assert found == {
        key: Counter({m: n for m, n in counts.items() if n}) for key, counts in expected.items()
    }


def test_a_tally_counts_the_subjects_under_the_unit() -> None:
    met = {"230231101200": True, "230231101201": False, "371302199001": True}
    assert stats.tally("230231", met) == stats.Tally(designated=2, meeting_standard=1)
    assert stats.tally("37", met) == stats.Tally(designated=1, meeting_standard=1)
    assert stats.tally("41", met) == stats.Tally(designated=0, meeting_standard=0)
