"""十不脱: the four hard blocks, each at its boundary, and as the policy file states them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml

from api.domain.register import Health, HousingGrade, IncomeKind, Relation, SchoolingStatus
from api.domain.rules import parse_standards
from api.domain.standards import (
    Criterion,
    HardBlocks,
    HouseholdFacts,
    MemberFacts,
    check_hard_blocks,
)
from api.errors import ValidationFailed
from api.policy_files import POLICIES_DIR, load_standards

YEAR = 2016
BLOCKS = load_standards().hard_blocks
HEAD = MemberFacts(
    Relation.HEAD, date(1970, 5, 1), SchoolingStatus.NOT_APPLICABLE, Health.HEALTHY, None
)


def facts(
    *members: MemberFacts,
    grade: HousingGrade | None = HousingGrade.B,
    kinds: frozenset[IncomeKind] = frozenset({IncomeKind.WAGE}),
) -> HouseholdFacts:
    return HouseholdFacts(housing_grade=grade, members=[HEAD, *members], income_kinds=kinds)


def blocks_of(household: HouseholdFacts, blocks: HardBlocks = BLOCKS) -> list[Criterion]:
    return list(check_hard_blocks(year=YEAR, facts=household, blocks=blocks).failed)


def child(age_on_dec_31: int, schooling: SchoolingStatus) -> MemberFacts:
    """A child whose age on 31 December of the year judged is ``age_on_dec_31``; born on
    31 December, so that is also their age for the whole year before."""
    return MemberFacts(
        Relation.CHILD, date(YEAR - age_on_dec_31, 12, 31), schooling, Health.HEALTHY, None
    )


def test_the_policy_file_states_the_four_blocks() -> None:
    assert BLOCKS.unsafe_grades == {HousingGrade.C, HousingGrade.D}
    assert BLOCKS.school_ages == (6, 15)
    assert BLOCKS.schooling == {SchoolingStatus.IN_SCHOOL, SchoolingStatus.HOME_TAUGHT}
    assert BLOCKS.serious == {Health.SERIOUS_ILLNESS}
    assert BLOCKS.transfer_kinds == {IncomeKind.TRANSFER}


def test_a_sound_household_runs_into_no_block() -> None:
    assert blocks_of(facts()) == []


# ---------------------------------------------------------------- housing


@pytest.mark.parametrize(
    ("grade", "blocked"),
    [
        (HousingGrade.A, False),
        (HousingGrade.B, False),
        (HousingGrade.C, True),
        (HousingGrade.D, True),
    ],
)
def test_housing_graded_c_or_d_blocks(grade: HousingGrade, blocked: bool) -> None:
    found = blocks_of(facts(grade=grade))
    assert found == ([Criterion.BLOCK_UNSAFE_HOUSING] if blocked else [])


def test_no_housing_grade_recorded_does_not_clear_the_block() -> None:
    result = check_hard_blocks(year=YEAR, facts=facts(grade=None), blocks=BLOCKS)
    assert result.failed == (Criterion.BLOCK_UNSAFE_HOUSING,)
    assert "no housing grade recorded for 2016" in result.shortfalls[0].detail


# ---------------------------------------------------------------- schooling


@pytest.mark.parametrize(
    ("age", "blocked"), [(5, False), (6, True), (10, True), (15, True), (16, False)]
)
def test_a_child_out_of_school_blocks_only_at_ages_6_to_15(age: int, blocked: bool) -> None:
    found = blocks_of(facts(child(age, SchoolingStatus.DROPPED_OUT)))
    assert found == ([Criterion.BLOCK_SCHOOL_DROPOUT] if blocked else [])


@pytest.mark.parametrize("age", [6, 15])
def test_a_school_age_child_who_is_no_student_at_all_is_out_of_school(age: int) -> None:
    assert blocks_of(facts(child(age, SchoolingStatus.NOT_APPLICABLE))) == [
        Criterion.BLOCK_SCHOOL_DROPOUT
    ]


@pytest.mark.parametrize("schooling", [SchoolingStatus.IN_SCHOOL, SchoolingStatus.HOME_TAUGHT])
def test_school_and_home_teaching_both_count_as_schooling(schooling: SchoolingStatus) -> None:
    assert blocks_of(facts(child(6, schooling), child(15, schooling))) == []


def test_the_age_is_whole_years_on_the_day_the_policy_names() -> None:
    def dropout(born: date) -> MemberFacts:
        return MemberFacts(Relation.CHILD, born, SchoolingStatus.DROPPED_OUT, Health.HEALTHY, None)

    assert blocks_of(facts(dropout(date(2001, 1, 1)))) == [Criterion.BLOCK_SCHOOL_DROPOUT]  # 15
    assert blocks_of(facts(dropout(date(2000, 12, 31)))) == []  # 16 on 31 December 2016
    assert blocks_of(facts(dropout(date(2010, 12, 31)))) == [Criterion.BLOCK_SCHOOL_DROPOUT]  # 6
    assert blocks_of(facts(dropout(date(2011, 1, 1)))) == []  # 5 on 31 December 2016
    # The day is data: reckoned on 1 September, a child born on 2 September 2010 is 5.
    on_september_1 = replace(BLOCKS, age_reckoned_on=(9, 1))
    assert blocks_of(facts(dropout(date(2010, 9, 2))), on_september_1) == []
    assert blocks_of(facts(dropout(date(2010, 9, 1))), on_september_1) == [
        Criterion.BLOCK_SCHOOL_DROPOUT
    ]


def test_the_detail_names_the_member_by_relation_and_age_not_by_name() -> None:
    result = check_hard_blocks(
        year=YEAR, facts=facts(child(12, SchoolingStatus.DROPPED_OUT)), blocks=BLOCKS
    )
    assert result.shortfalls[0].detail == "子女 aged 12 on 2016-12-31 is 失学辍学 (dropped_out)"


def test_a_member_who_left_the_household_does_not_block_it() -> None:
    gone = MemberFacts(
        Relation.CHILD,
        date(2006, 3, 1),
        SchoolingStatus.DROPPED_OUT,
        Health.SERIOUS_ILLNESS,
        None,
        left_year=2016,
    )
    assert blocks_of(facts(gone)) == []


# ---------------------------------------------------------------- serious illness


@pytest.mark.parametrize(("treated", "blocked"), [(True, False), (False, True), (None, True)])
def test_a_serious_illness_blocks_unless_recorded_as_treated(
    treated: bool | None, blocked: bool
) -> None:
    ill = MemberFacts(
        Relation.SPOUSE,
        date(1972, 1, 1),
        SchoolingStatus.NOT_APPLICABLE,
        Health.SERIOUS_ILLNESS,
        treated,
    )
    found = blocks_of(facts(ill))
    assert found == ([Criterion.BLOCK_UNTREATED_SERIOUS_ILLNESS] if blocked else [])


@pytest.mark.parametrize("health", [Health.HEALTHY, Health.CHRONIC_ILLNESS, Health.DISABLED])
def test_other_health_states_need_no_treatment_record(health: Health) -> None:
    member = MemberFacts(
        Relation.SPOUSE, date(1972, 1, 1), SchoolingStatus.NOT_APPLICABLE, health, None
    )
    assert blocks_of(facts(member)) == []


def test_the_illness_detail_says_whether_treatment_was_refused_or_not_recorded() -> None:
    def detail(treated: bool | None) -> str:
        ill = MemberFacts(
            Relation.HEAD,
            date(1960, 1, 1),
            SchoolingStatus.NOT_APPLICABLE,
            Health.SERIOUS_ILLNESS,
            treated,
        )
        household = HouseholdFacts(HousingGrade.A, [ill], frozenset({IncomeKind.WAGE}))
        return check_hard_blocks(year=YEAR, facts=household, blocks=BLOCKS).shortfalls[0].detail

    assert detail(False) == "户主 患有大病: not treated"
    assert detail(None) == "户主 患有大病: no treatment recorded"


# ---------------------------------------------------------------- income


@pytest.mark.parametrize(
    ("kinds", "blocked"),
    [
        ({IncomeKind.TRANSFER}, True),
        ({IncomeKind.TRANSFER, IncomeKind.WAGE}, False),
        ({IncomeKind.TRANSFER, IncomeKind.PROPERTY}, False),
        ({IncomeKind.WAGE}, False),
        (set(), False),  # no income at all fails the income criterion, not this block
    ],
)
def test_income_only_from_transfers_blocks(kinds: set[IncomeKind], blocked: bool) -> None:
    found = blocks_of(facts(kinds=frozenset(kinds)))
    assert found == ([Criterion.BLOCK_TRANSFER_INCOME_ONLY] if blocked else [])


def test_every_block_is_named_at_once() -> None:
    ill = MemberFacts(
        Relation.SPOUSE,
        date(1972, 1, 1),
        SchoolingStatus.NOT_APPLICABLE,
        Health.SERIOUS_ILLNESS,
        False,
    )
    household = facts(
        child(9, SchoolingStatus.DROPPED_OUT),
        ill,
        grade=HousingGrade.D,
        kinds=frozenset({IncomeKind.TRANSFER}),
    )
    assert blocks_of(household) == [
        Criterion.BLOCK_UNSAFE_HOUSING,
        Criterion.BLOCK_SCHOOL_DROPOUT,
        Criterion.BLOCK_UNTREATED_SERIOUS_ILLNESS,
        Criterion.BLOCK_TRANSFER_INCOME_ONLY,
    ]


# ---------------------------------------------------------------- the policy file


def _policy(**hard_blocks: object) -> dict[str, object]:
    """The shipped policy file's data with its hard blocks replaced."""
    data: dict[str, object] = yaml.safe_load(
        (POLICIES_DIR / "standards.yaml").read_text(encoding="utf-8")
    )
    return data | {"hard_blocks": hard_blocks}


GOOD = {
    "unsafe_housing": {"grades": ["C", "D"], "source": "s"},
    "school_dropout": {
        "ages": [6, 15],
        "age_on": "12-31",
        "counts_as_schooling": ["in_school", "home_taught"],
        "source": "s",
    },
    "untreated_serious_illness": {"health": ["serious_illness"], "source": "s"},
    "transfer_only": {"kinds": ["transfer"], "source": "s"},
}


def test_the_blocks_are_read_from_data() -> None:
    changed = {**GOOD, "unsafe_housing": {"grades": ["D"], "source": "s"}}
    parsed = parse_standards(_policy(**changed)).hard_blocks
    assert parsed.unsafe_grades == {HousingGrade.D}
    assert parsed == replace(BLOCKS, unsafe_grades=frozenset({HousingGrade.D}))


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"unsafe_housing": {"grades": ["E"], "source": "s"}}, "unsafe_housing", "not among"),
        ({"transfer_only": {"kinds": ["transfer"]}}, "transfer_only", "source"),
        (
            {"school_dropout": {**GOOD["school_dropout"], "ages": [15, 6]}},
            "school_dropout.ages",
            "youngest, oldest",
        ),
        (
            {"school_dropout": {**GOOD["school_dropout"], "age_on": "02-29"}},
            "school_dropout.age_on",
            "MM-DD",
        ),
        ({"ten_more": {}}, "", "unknown hard blocks"),
    ],
)
def test_a_bad_block_names_its_entry(change: dict[str, object], path: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as raised:
        parse_standards(_policy(**{**GOOD, **change}))
    assert ".".join(raised.value.path) == ".".join(p for p in ("hard_blocks", path) if p)


def test_no_block_is_implied_when_the_file_leaves_one_out() -> None:
    partial = {k: v for k, v in GOOD.items() if k != "untreated_serious_illness"}
    with pytest.raises(ValidationFailed, match="expected a mapping"):
        parse_standards(_policy(**partial))
