"""Builds the demo register: pure and deterministic for a given seed.

Real units come from ``divisions.json`` (NBS division codes, sources inside).
People, incomes and assessments are synthetic, drawn so that the data straddles
the standards: some households exceed their line and some do not (one sits
exactly on it), some villages are at or below the 2% bar (one exactly at 2.00%)
and most are above it.
"""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

from api.demo.people import People
from api.domain.jurisdictions import Level, level_of, parent_code
from api.domain.register import (
    CountyDesignation,
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    HousingGrade,
    IncomeKind,
    LabourCapacity,
    PovertyCause,
    RegionClass,
    Relation,
    SchoolingStatus,
    StandardKind,
    SubjectKind,
    VillageDesignation,
)
from api.domain.rules import StandardsPolicy

YEAR = 2016
"""The demo's working year: the year both seeds were issued."""
PREVIOUS = YEAR - 1
RECORDED_AT = datetime(2016, 11, 30, 8, 0, tzinfo=UTC)
DEMO_PROVINCIAL_SOURCE = (
    "demo value: illustrative only. No sourced provincial line was found in the stored "
    "material; replace with the province's published 省扶贫标准."
)
DEMO_PROVINCIAL_LINES = {  # (province, year) -> amount
    ("23", 2015): Decimal("3100"),
    ("23", 2016): Decimal("3200"),
    ("37", 2015): Decimal("3200"),
    ("37", 2016): Decimal("3300"),
}
CAUSES = list(PovertyCause)
CAUSE_WEIGHTS = [30, 14, 8, 4, 5, 2, 12, 10, 9, 2, 3, 1]

Row = dict[str, Any]


@dataclass
class DemoData:
    jurisdictions: list[Row] = field(default_factory=list)
    county_designations: list[Row] = field(default_factory=list)
    village_designations: list[Row] = field(default_factory=list)
    standards: list[Row] = field(default_factory=list)
    village_indicators: list[Row] = field(default_factory=list)
    exit_plans: list[Row] = field(default_factory=list)
    households: list[Row] = field(default_factory=list)
    # The rows below name their household by registry_no; the loader links ids.
    members: list[Row] = field(default_factory=list)
    incomes: list[Row] = field(default_factory=list)
    assessments: list[Row] = field(default_factory=list)


def divisions() -> dict[str, Any]:
    text = resources.files("api.demo").joinpath("divisions.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class VillagePlan:
    """How a village is drawn: its size and the incidence it should end up with."""

    households: int
    target_rate: Decimal
    exited_share: float
    facilities_ready: bool = False


def generate(policy: StandardsPolicy, *, seed: int = 2016) -> DemoData:
    rng = random.Random(seed)
    people = People(rng)
    data = DemoData()
    source = divisions()
    _units(data, source)
    _standards(data, policy)
    villages = [u["code"] for u in source["units"] if u["level"] == "village"]
    for index, village in enumerate(villages):
        plan = _village_plan(rng, index, village)
        if village.startswith(READY_COUNTY) and plan.target_rate > READY_RATE:
            # Its villages keep their people and facilities (the same draws), and
            # count a rural population that puts them below the county bar.
            plan = VillagePlan(
                plan.households, READY_RATE, plan.exited_share, plan.facilities_ready
            )
        _village(data, rng, people, village, plan, policy)
    _plans(data)
    return data


def _units(data: DemoData, source: dict[str, Any]) -> None:
    for unit in source["units"]:
        code = unit["code"]
        level = level_of(code)
        data.jurisdictions.append(
            {"code": code, "name": unit["name"], "level": level, "parent_code": parent_code(code)}
        )
        if level is Level.COUNTY and unit.get("designation"):
            data.county_designations.append(
                {
                    "county_code": code,
                    "designation": CountyDesignation(unit["designation"]),
                    "region_class": RegionClass.GENERAL,
                    "designated_year": 2012,
                    "exited_on": None,
                }
            )
        if level is Level.VILLAGE:
            lanshan = code.startswith("371302")
            data.village_designations.append(
                {
                    "village_code": code,
                    "designation": (
                        VillageDesignation.KEY_VILLAGE
                        if lanshan
                        else VillageDesignation.POOR_VILLAGE
                    ),
                    "designated_year": 2014,
                    "exited_on": None,
                }
            )


def _standards(data: DemoData, policy: StandardsPolicy) -> None:
    for line in policy.national_lines:
        data.standards.append(
            {
                "applies_to": "",
                "year": line.year,
                "kind": StandardKind.NATIONAL,
                "amount": line.amount,
                "source": policy.national_source,
                "note": None,
            }
        )
    for (province, year), amount in DEMO_PROVINCIAL_LINES.items():
        data.standards.append(
            {
                "applies_to": province,
                "year": year,
                "kind": StandardKind.PROVINCIAL,
                "amount": amount,
                "source": DEMO_PROVINCIAL_SOURCE,
                "note": "demo",
            }
        )


READY_COUNTY = "230223"
"""依安县: the county whose incidence is below its bar, so it can apply to exit."""
READY_RATE = Decimal("0.015")


def _village_plan(rng: random.Random, index: int, village: str) -> VillagePlan:
    lanshan = village.startswith("371302")
    size = rng.randint(25, 50) if lanshan else rng.randint(70, 130)
    if index == 0:
        return VillagePlan(size, Decimal("0.02"), 0.96, True)  # exactly on the bar
    if index % 4 == 1:
        return VillagePlan(size, READY_RATE, 0.96, True)  # ready to exit
    rate = Decimal(rng.randint(40, 150)) / Decimal(1000)
    return VillagePlan(size, rate, rng.uniform(0.2, 0.5))


def _line(policy: StandardsPolicy, village: str, year: int, kind: StandardKind) -> Decimal:
    if kind is StandardKind.PROVINCIAL:
        return DEMO_PROVINCIAL_LINES[(village[:2], year)]
    return next(line.amount for line in policy.national_lines if line.year == year)


def _village(
    data: DemoData,
    rng: random.Random,
    people: People,
    village: str,
    plan: VillagePlan,
    policy: StandardsPolicy,
) -> None:
    poor_people = 0
    groups = rng.randint(3, 8)
    for number in range(1, plan.households + 1):
        registry_no = f"{village}{number:04d}"
        kind = (
            StandardKind.PROVINCIAL
            if village.startswith("37") or rng.random() < 0.2
            else StandardKind.NATIONAL
        )
        exact = number == 1  # every village has one household exactly on its line
        exited = not exact and rng.random() < plan.exited_share
        returned = exited and rng.random() < 0.03
        size = _household(data, rng, people, village, registry_no, kind, groups)
        if returned:
            exit_attribute = ExitAttribute.RETURNED_TO_POVERTY
        elif exited:
            exit_attribute = ExitAttribute.EXITED_SUPPORTED
        else:
            exit_attribute = ExitAttribute.NOT_EXITED
        data.households[-1].update(
            exit_attribute=exit_attribute,
            exited_year=PREVIOUS if exited else None,
            returned_year=YEAR if returned else None,
        )
        if not exited or returned:
            poor_people += size
        for year in (PREVIOUS, YEAR):
            line = _line(policy, village, year, kind)
            ratio = _income_ratio(rng, exited=exited and not returned, exact=exact)
            _incomes(data, rng, registry_no, year, size, line * ratio)
        _assessment(data, rng, registry_no, exited=exited and not returned)
    rural = int((Decimal(max(poor_people, 1)) / plan.target_rate).to_integral_value(ROUND_HALF_UP))
    if plan.target_rate == Decimal("0.02"):
        poor_people = max(poor_people, 1)
        rural = poor_people * 50  # exactly 2.00%
    for year in (PREVIOUS, YEAR):
        ready = plan.facilities_ready
        data.village_indicators.append(
            {
                "village_code": village,
                "year": year,
                "rural_population": rural,
                "hamlet_road_paved": ready or rng.random() < 0.6,
                "broadband": ready or rng.random() < 0.5,
                "radio_and_cable_tv": ready or rng.random() < 0.7,
                "clinic_with_doctor": ready or rng.random() < 0.6,
                "cultural_venue": ready or rng.random() < 0.5,
                "collective_income": Decimal(rng.randrange(20, 400) * 1000),
            }
        )


def _income_ratio(rng: random.Random, *, exited: bool, exact: bool) -> Decimal:
    if exact:
        return Decimal(1)
    low, high = (105, 200) if exited else (60, 160)
    return Decimal(rng.randint(low, high)) / Decimal(100)


def _household(
    data: DemoData,
    rng: random.Random,
    people: People,
    village: str,
    registry_no: str,
    kind: StandardKind,
    groups: int,
) -> int:
    surname = people.surname()
    head_age = rng.randint(32, 78)
    size = rng.choices((1, 2, 3, 4, 5, 6), weights=(12, 30, 22, 20, 11, 5))[0]
    relations = _relations(rng, size, head_age)
    head_name = ""
    causes = rng.sample(CAUSES[:-1], k=3)
    for relation, age in relations:
        female = rng.random() < 0.5 if relation is not Relation.SPOUSE else True
        name = people.name(None if relation is Relation.SPOUSE else surname)
        if relation is Relation.HEAD:
            head_name = name
            female = rng.random() < 0.2
        born = people.birth_date(age=age, on=date(YEAR, 12, 31))
        data.members.append(
            _member(rng, people, registry_no, village, relation, name, born, female, age)
        )
    data.households.append(
        {
            "registry_no": registry_no,
            "village_code": village,
            "villager_group": f"{rng.randint(1, groups)}组",
            "head_name": head_name,
            "phone": people.phone(),
            "bank_account": people.bank_account(),
            "standard_kind": kind,
            "attribute": rng.choices(list(HouseholdAttribute), weights=(80, 15, 5))[0],
            "main_cause": rng.choices(CAUSES, weights=CAUSE_WEIGHTS)[0],
            "second_cause": causes[1] if rng.random() < 0.5 else None,
            "third_cause": causes[2] if rng.random() < 0.2 else None,
            "registered_year": 2014 if rng.random() < 0.85 else 2015,
            "created_at": RECORDED_AT,
        }
    )
    return size


def _relations(rng: random.Random, size: int, head_age: int) -> list[tuple[Relation, int]]:
    members = [(Relation.HEAD, head_age)]
    if size >= 2:
        members.append((Relation.SPOUSE, max(20, head_age + rng.randint(-5, 3))))
    for _ in range(size - len(members)):
        if head_age > 60 and rng.random() < 0.5:
            members.append((Relation.GRANDCHILD, rng.randint(2, 16)))
        elif head_age < 50 and rng.random() < 0.3:
            members.append((Relation.PARENT, min(95, head_age + rng.randint(22, 30))))
        else:
            members.append((Relation.CHILD, max(0, head_age - rng.randint(20, 34))))
    return members


def _member(
    rng: random.Random,
    people: People,
    registry_no: str,
    village: str,
    relation: Relation,
    name: str,
    born: date,
    female: bool,
    age: int,
) -> Row:
    school_age = 6 <= age <= 15
    if school_age:
        schooling = rng.choices(
            (SchoolingStatus.IN_SCHOOL, SchoolingStatus.HOME_TAUGHT, SchoolingStatus.DROPPED_OUT),
            weights=(96, 2, 2),
        )[0]
    else:
        schooling = SchoolingStatus.NOT_APPLICABLE
    health = rng.choices(list(Health), weights=(62, 22, 9, 7))[0]
    id_number = people.id_number(county_code=village[:6], born=born, female=female)
    return {
        "registry_no": registry_no,
        "name": name,
        "id_number": id_number,
        "relation": relation,
        "ethnicity": rng.choices(("汉族", "满族", "蒙古族", "回族"), weights=(94, 3, 2, 1))[0],
        "education": _education(rng, age),
        "schooling": schooling,
        "health": health,
        "labour_capacity": _labour(rng, age, health),
        "migrant_work_months": rng.randint(0, 10) if 18 <= age <= 55 else 0,
        "medical_insurance": rng.random() < 0.98,
        "serious_illness_insurance": rng.random() < 0.9,
        "pension_insurance": age >= 16 and rng.random() < 0.85,
        "serious_illness_treated": treated(id_number) if health is Health.SERIOUS_ILLNESS else None,
        "joined_year": None,
        "left_year": None,
    }


def treated(id_number: str) -> bool:
    """Whether a seriously ill member's treatment is recorded as done: about 85 in 100,
    drawn from the ID number rather than the generator so that every other draw (and
    so the rest of the demo) is what it was before the register recorded treatment."""
    return zlib.crc32(id_number.encode()) % 100 < 85


def _education(rng: random.Random, age: int) -> Education:
    if age < 6:
        return Education.PRESCHOOL
    if age <= 12:
        return Education.PRIMARY
    if age <= 15:
        return Education.JUNIOR_SECONDARY
    return rng.choices(
        (
            Education.NONE,
            Education.PRIMARY,
            Education.JUNIOR_SECONDARY,
            Education.SENIOR_SECONDARY,
            Education.TERTIARY,
        ),
        weights=(10, 35, 40, 12, 3),
    )[0]


def _labour(rng: random.Random, age: int, health: Health) -> LabourCapacity:
    if age < 16 or age > 70:
        return LabourCapacity.NOT_OF_WORKING_AGE
    if health in (Health.SERIOUS_ILLNESS, Health.DISABLED):
        return rng.choice((LabourCapacity.NONE, LabourCapacity.WEAK))
    return rng.choices(
        (LabourCapacity.ORDINARY, LabourCapacity.SKILLED, LabourCapacity.WEAK), weights=(70, 15, 15)
    )[0]


def _incomes(
    data: DemoData, rng: random.Random, registry_no: str, year: int, size: int, per_capita: Decimal
) -> None:
    """Income lines whose net, divided by ``size``, is exactly ``per_capita`` (to the fen)."""
    net = (per_capita * size).quantize(Decimal("0.01"))
    cost = Decimal(rng.randrange(200, 1500))
    gross = net + cost
    transfer = (gross * Decimal(rng.randint(10, 40)) / 100).quantize(Decimal("1"))
    wage = (gross - transfer) * Decimal(rng.randint(30, 70)) / 100
    wage = wage.quantize(Decimal("1"))
    business = gross - transfer - wage
    for kind, amount in (
        (IncomeKind.WAGE, wage),
        (IncomeKind.BUSINESS, business),
        (IncomeKind.TRANSFER, transfer),
        (IncomeKind.COST, cost),
    ):
        data.incomes.append(
            {
                "registry_no": registry_no,
                "year": year,
                "kind": kind,
                "amount": amount,
                "note": None,
                "recorded_at": RECORDED_AT,
            }
        )


def _assessment(data: DemoData, rng: random.Random, registry_no: str, *, exited: bool) -> None:
    grade = (
        rng.choices(list(HousingGrade), weights=(50, 48, 2, 0))[0]
        if exited
        else rng.choices(list(HousingGrade), weights=(30, 55, 11, 4))[0]
    )
    day = date(YEAR, 10, 1 + rng.randrange(30))
    data.assessments.append(
        {
            "registry_no": registry_no,
            "year": YEAR,
            "assessed_on": day,
            "housing_grade": grade,
            "food_and_clothing_assured": exited or rng.random() < 0.95,
            "compulsory_education_assured": exited or rng.random() < 0.97,
            "medical_insurance_enrolled": exited or rng.random() < 0.95,
            "drinking_water_safe": exited or rng.random() < 0.93,
            "assessor_name": "驻村工作队",
            "assessor_role": "resident_work_team",
            "evidence": f"入户核查表 {day.isoformat()}；现场照片 {rng.randint(2, 6)} 张",
            "recorded_at": RECORDED_AT,
        }
    )


def _plans(data: DemoData) -> None:
    """Annual exit plans for the demo year: counties and townships, from the register."""
    poor_by_unit: dict[tuple[str, SubjectKind], int] = {}
    for row in data.households:
        if row["exit_attribute"] is ExitAttribute.NOT_EXITED:
            for unit in (row["village_code"][:6], row["village_code"][:9]):
                key = (unit, SubjectKind.HOUSEHOLD)
                poor_by_unit[key] = poor_by_unit.get(key, 0) + 1
    for (unit, kind), remaining in sorted(poor_by_unit.items()):
        data.exit_plans.append(
            {
                "jurisdiction_code": unit,
                "year": YEAR,
                "subject_kind": kind,
                "planned_count": remaining * 6 // 10,
                "planned_population": None,
                "document": f"{YEAR}年度贫困户退出计划",
            }
        )
