"""Synthetic register rows as tuples, fast enough for tens of millions of households.

Deterministic for a seed: each county draws from its own ``random.Random`` seeded
from (seed, county code), so any county can be regenerated alone. Values are stored
values (enum codes as text, Decimal money, aware instants), in the column order of
``COLUMNS``, ready for COPY.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from api.demo.generator import treated
from api.demo.people import GIVEN, SURNAMES
from api.domain.idnumber import check_of, weighted
from api.generate.shape import WESTERN, Unit, Village

T = TypeVar("T")
YEAR = 2016
RECORDED_AT = datetime(2016, 11, 30, 8, 0, tzinfo=UTC)
LINE = Decimal(2952)  # the national line for 2016, at current prices

COLUMNS: dict[str, tuple[str, ...]] = {
    "jurisdictions": ("code", "name", "level", "parent_code"),
    "county_designations": (
        "county_code",
        "designation",
        "region_class",
        "designated_year",
        "exited_on",
    ),
    "village_designations": ("village_code", "designation", "designated_year", "exited_on"),
    "village_indicators": (
        "village_code",
        "year",
        "rural_population",
        "hamlet_road_paved",
        "broadband",
        "radio_and_cable_tv",
        "clinic_with_doctor",
        "cultural_venue",
        "collective_income",
    ),
    "households": (
        "id",
        "registry_no",
        "village_code",
        "villager_group",
        "head_name",
        "phone",
        "bank_account",
        "standard_kind",
        "attribute",
        "main_cause",
        "second_cause",
        "third_cause",
        "exit_attribute",
        "registered_year",
        "exited_year",
        "returned_year",
        "created_at",
    ),
    "household_members": (
        "household_id",
        "name",
        "id_number",
        "relation",
        "ethnicity",
        "education",
        "schooling",
        "health",
        "labour_capacity",
        "migrant_work_months",
        "medical_insurance",
        "serious_illness_insurance",
        "pension_insurance",
        "serious_illness_treated",
        "joined_year",
        "left_year",
    ),
    "income_records": ("household_id", "year", "kind", "amount", "note", "recorded_at"),
    "assessments": (
        "household_id",
        "year",
        "assessed_on",
        "housing_grade",
        "food_and_clothing_assured",
        "compulsory_education_assured",
        "medical_insurance_enrolled",
        "drinking_water_safe",
        "assessor_name",
        "assessor_role",
        "evidence",
        "recorded_at",
    ),
}
ORDER = tuple(COLUMNS)  # parents before children

CAUSES = (
    ("illness",) * 30
    + ("disability",) * 14
    + ("education",) * 8
    + ("disaster",) * 4
    + ("lack_of_land",) * 5
    + ("lack_of_water",) * 2
    + ("lack_of_skills",) * 12
    + ("lack_of_labour",) * 10
    + ("lack_of_capital",) * 9
    + ("poor_transport",) * 2
    + ("lack_of_drive",) * 3
    + ("other",)
)
SIZES = (1,) * 12 + (2,) * 30 + (3,) * 22 + (4,) * 20 + (5,) * 11 + (6,) * 5
HEALTH = (
    ("healthy",) * 62 + ("chronic_illness",) * 22 + ("serious_illness",) * 9 + ("disabled",) * 7
)
ETHNICITY = ("汉族",) * 94 + ("满族",) * 3 + ("蒙古族",) * 2 + ("回族",)
ADULT_EDUCATION = (
    ("none",) * 10
    + ("primary",) * 35
    + ("junior_secondary",) * 40
    + ("senior_secondary",) * 12
    + ("tertiary",) * 3
)


_SEQUENCES = [(f"{n:03d}", weighted(f"{n:03d}", 14)) for n in range(1000)]


@cache
def _days(year: int) -> list[tuple[str, int]]:
    """The first 365 days of ``year`` as ID-number text with their check-sum shares."""
    first = date(year, 1, 1)
    texts = [f"{first + timedelta(days=n):%Y%m%d}" for n in range(365)]
    return [(text, weighted(text, 6)) for text in texts]


@dataclass
class Batch:
    """Rows for some counties, by table, and how many households they hold."""

    tables: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in ORDER}
    )
    households: int = 0


class CountyRows:
    """Draws one county's rows."""

    def __init__(self, seed: int, county: str, first_id: int) -> None:
        self.rng = random.Random(f"{seed}:{county}")
        self.county = county
        self.county_sum = weighted(county, 0)
        self.next_id = first_id
        self.issued: dict[str, int] = {}  # birth date -> sequences used

    def between(self, low: int, high: int) -> int:
        """``rng.randint`` without its overhead."""
        return low + int(self.rng.random() * (high - low + 1))

    def pick(self, items: Sequence[T]) -> T:
        """``rng.choice`` without its overhead (this runs tens of millions of times)."""
        return items[int(self.rng.random() * len(items))]

    def id_number(self, age: int, female: bool) -> str:
        """Unique in the county: at most 500 people per birth date, then another day."""
        days = _days(YEAR - age)
        while True:
            day, day_sum = days[int(self.rng.random() * 365)]
            used = self.issued.get(day, 0)
            if used < 500:
                break
        self.issued[day] = used + 1
        sequence = used * 2 + (0 if female else 1)
        sequence_text, sequence_sum = _SEQUENCES[sequence]
        return f"{self.county}{day}{sequence_text}" + check_of(
            self.county_sum + day_sum + sequence_sum
        )

    def name(self, surname: str) -> str:
        rng = self.rng
        given = GIVEN[int(rng.random() * len(GIVEN))]
        if rng.random() < 0.67:
            given += GIVEN[int(rng.random() * len(GIVEN))]
        return surname + given

    def village(self, batch: Batch, village: Village) -> None:
        rng, code, tables = self.rng, village.code, batch.tables
        ready = rng.random() < 0.25  # some villages are ready to exit this year
        exited_share = 0.96 if ready else rng.uniform(0.2, 0.5)
        groups = self.between(3, 8)
        poor_people = 0
        for number in range(1, village.households + 1):
            hid = self.next_id
            self.next_id += 1
            exited = rng.random() < exited_share
            returned = exited and rng.random() < 0.03
            size = self.pick(SIZES)
            surname = self.pick(SURNAMES)
            head = self.name(surname)
            head_age = self.between(32, 78)
            self.members(tables["household_members"], hid, head, surname, head_age, size)
            if not exited or returned:
                poor_people += size
            ratio = Decimal(
                self.between(105, 200) if exited and not returned else self.between(60, 160)
            )
            self.accounts(tables, hid, size, ratio, exited and not returned)
            tables["households"].append(
                (
                    hid,
                    f"{code}{number:04d}",
                    code,
                    f"{self.between(1, groups)}组",
                    head,
                    f"1{'3589'[int(rng.random() * 4)]}{int(rng.random() * 10**9):09d}",
                    f"6228{int(rng.random() * 10**15):015d}",
                    "national",
                    "general"
                    if rng.random() < 0.8
                    else ("dibao" if rng.random() < 0.75 else "wubao"),
                    self.pick(CAUSES),
                    None,
                    None,
                    "returned_to_poverty"
                    if returned
                    else ("exited_supported" if exited else "not_exited"),
                    2014,
                    2015 if exited else None,
                    YEAR if returned else None,
                    RECORDED_AT,
                )
            )
        batch.households += village.households
        rate = Decimal("0.015") if ready else Decimal(self.between(40, 150)) / 1000
        rural = max(poor_people * 5, int(poor_people / rate) + 1) if poor_people else 500
        tables["village_indicators"].append(
            (
                code,
                YEAR,
                rural,
                True,
                ready or rng.random() < 0.5,
                True,
                True,
                ready,
                Decimal(self.between(20, 399) * 1000),
            )
        )
        tables["village_designations"].append((code, "poor_village", 2014, None))

    def members(
        self,
        rows: list[tuple[Any, ...]],
        hid: int,
        head: str,
        surname: str,
        head_age: int,
        size: int,
    ) -> None:
        rng = self.rng
        people = [("head", head_age, head, rng.random() < 0.2)]
        if size >= 2:
            people.append(
                (
                    "spouse",
                    max(20, head_age + self.between(-5, 3)),
                    self.name(self.pick(SURNAMES)),
                    True,
                )
            )
        while len(people) < size:
            if head_age > 60 and rng.random() < 0.5:
                relation, age = "grandchild", self.between(2, 16)
            else:
                relation, age = "child", max(0, head_age - self.between(20, 34))
            people.append((relation, age, self.name(surname), rng.random() < 0.5))
        for relation, age, name, female in people:
            health = self.pick(HEALTH)
            if age < 6:
                education = "preschool"
            elif age <= 12:
                education = "primary"
            elif age <= 15:
                education = "junior_secondary"
            else:
                education = self.pick(ADULT_EDUCATION)
            working = 16 <= age <= 70
            id_number = self.id_number(age, female)
            rows.append(
                (
                    hid,
                    name,
                    id_number,
                    relation,
                    self.pick(ETHNICITY),
                    education,
                    ("in_school" if rng.random() < 0.98 else "dropped_out")
                    if 6 <= age <= 15
                    else "not_applicable",
                    health,
                    ("ordinary" if health in ("healthy", "chronic_illness") else "weak")
                    if working
                    else "not_of_working_age",
                    self.between(0, 10) if 18 <= age <= 55 else 0,
                    rng.random() < 0.98,
                    rng.random() < 0.9,
                    age >= 16 and rng.random() < 0.85,
                    treated(id_number) if health == "serious_illness" else None,
                    None,
                    None,
                )
            )

    def accounts(
        self,
        tables: dict[str, list[tuple[Any, ...]]],
        hid: int,
        size: int,
        ratio: Decimal,
        settled: bool,
    ) -> None:
        rng = self.rng
        net = (LINE * ratio * size / 100).quantize(Decimal(1))
        cost = Decimal(self.between(200, 1499))
        transfer = ((net + cost) * self.between(10, 40) / 100).quantize(Decimal(1))
        wage = net + cost - transfer
        incomes = tables["income_records"]
        incomes.append((hid, YEAR, "wage", wage, None, RECORDED_AT))
        incomes.append((hid, YEAR, "transfer", transfer, None, RECORDED_AT))
        incomes.append((hid, YEAR, "cost", cost, None, RECORDED_AT))
        day = date(YEAR, 10, 1 + int(rng.random() * 30))
        tables["assessments"].append(
            (
                hid,
                YEAR,
                day,
                ("A" if rng.random() < 0.5 else "B")
                if settled
                else "BBBBBBBCCD"[int(rng.random() * 10)],
                settled or rng.random() < 0.95,
                settled or rng.random() < 0.97,
                settled or rng.random() < 0.95,
                settled or rng.random() < 0.93,
                "驻村工作队",
                "resident_work_team",
                f"入户核查表 {day.isoformat()}",
                RECORDED_AT,
            )
        )


def county_rows(
    batch: Batch, seed: int, units: Sequence[Unit], villages: Sequence[Village], first_id: int
) -> int:
    """Add one county's rows to ``batch``; returns the next free household id."""
    county = next(u.code for u in units if u.level == "county")
    tables = batch.tables
    for unit in units:
        tables["jurisdictions"].append((unit.code, unit.name, unit.level, unit.parent))
    tables["county_designations"].append(
        (county, "national", "western" if county[:2] in WESTERN else "general", 2012, None)
    )
    rows = CountyRows(seed, county, first_id)
    for village in villages:
        rows.village(batch, village)
    return rows.next_id
