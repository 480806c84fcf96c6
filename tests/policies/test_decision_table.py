"""The Casbin policy as a decision table, checked against the real files.

Every procedure × stage × role × action, with the role held in the subject's own
unit and in its parent, child, sibling and a foreign province's unit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.authz.enforcer import Authorizer, Holding
from api.authz.policy import (
    POLICY_PATH,
    Action,
    cells,
    matrix_markdown,
    policy_text,
)
from api.domain.jurisdictions import CODE_LENGTHS, parent_code
from api.domain.roles import NATIONAL, ROLES, Role, Tier
from api.procedure_files import book

ROOT = Path(__file__).resolve().parents[2]
BASE_VILLAGE = {"heilongjiang": "230231101200", "lanshan": "371302101200"}
FOREIGN_VILLAGE = {"heilongjiang": "371302101200", "lanshan": "230231101200"}
SIBLING = {2: "22", 4: "2301", 6: "230223", 9: "230231102", 12: "230231101201"}


def test_policy_csv_is_generated_from_the_procedure_files() -> None:
    assert POLICY_PATH.read_text(encoding="utf-8") == policy_text(book())


def test_authorization_matrix_doc_is_current() -> None:
    matrix = (ROOT / "docs" / "authorization-matrix.md").read_text(encoding="utf-8")
    assert matrix == matrix_markdown(book())


def holder(role: Role, village: str) -> str:
    """The unit of the role's level that contains ``village`` (the role's own unit)."""
    level = ROLES[role].level
    if ROLES[role].tier is Tier.NATIONAL:
        return NATIONAL
    if level is None:  # inspector, evaluator, integrator: held anywhere; use the county
        return village[:6]
    return village[: CODE_LENGTHS[level]]


def subject_unit(village: str, kind: str) -> str:
    return village if kind in ("household", "village") else village[:6]


def sibling_of(code: str) -> str:
    if code.startswith("23"):
        return SIBLING[len(code)]
    return code[:-1] + ("2" if code[-1] != "2" else "3")


@pytest.fixture(scope="module")
def authorizer() -> Authorizer:
    authorizer = Authorizer()
    authorizer.sync(1)
    return authorizer


def test_every_cell_for_own_parent_child_sibling_and_foreign_units(
    authorizer: Authorizer,
) -> None:
    checked = 0
    for role in Role:
        for cell in cells(book()):
            village = BASE_VILLAGE[cell.procedure.code]
            unit = subject_unit(village, cell.kind)
            held = holder(role, unit if len(unit) >= 6 else village)
            # Place the holding relative to the subject's unit; the subject stays put.
            placements: dict[str, tuple[str, bool]] = {}
            if held == NATIONAL:
                placements["own"] = (NATIONAL, True)
            else:
                contains_unit = unit.startswith(held)
                placements["own"] = (held, contains_unit)
                parent = parent_code(held)
                if parent is not None:
                    placements["parent"] = (parent, unit.startswith(parent))
                placements["sibling"] = (sibling_of(held), False)
                foreign = FOREIGN_VILLAGE[cell.procedure.code][: len(held)]
                placements["foreign"] = (foreign, False)
                if len(held) < 12:
                    # A holding in a child of the subject's unit never covers the subject.
                    child = (unit + "0" * 12)[: {2: 4, 4: 6, 6: 9, 9: 12}[len(held)]]
                    placements["child"] = (child, unit.startswith(child))
            for relation, (code, covers) in placements.items():
                subject = f"{role}@{relation}@{code}"
                authorizer.load(subject, [Holding(role, code)])
                for action in Action:
                    expected = covers and role in cell.roles and action in cell.actions
                    got = authorizer.allows(subject, unit, cell.obj, action)
                    assert got is expected, (relation, role, cell.obj, action, code, unit)
                    checked += 1
    assert checked > 5000


def test_inspectors_act_on_nothing(authorizer: Authorizer) -> None:
    authorizer.load("inspector", [Holding(Role.INSPECTOR, "23")])
    for cell in cells(book()):
        for action in Action:
            assert not authorizer.allows("inspector", "230231101200", cell.obj, action)


def test_no_holding_means_no_decision_in_favour(authorizer: Authorizer) -> None:
    authorizer.load("nobody", [])
    assert not any(
        authorizer.allows("nobody", "230231101200", cell.obj, Action.PERFORM)
        for cell in cells(book())
    )


def test_a_version_change_drops_loaded_holdings_and_cached_decisions() -> None:
    authorizer = Authorizer()
    authorizer.sync(1)
    authorizer.load("u", [Holding(Role.VILLAGE_COMMITTEES, "230231101200")])
    obj = "heilongjiang/household/appraisal"
    assert authorizer.allows("u", "230231101200", obj, "perform")
    authorizer.sync(2)
    assert not authorizer.is_loaded("u")
    assert not authorizer.allows("u", "230231101200", obj, "perform")


def test_reloading_a_user_replaces_its_own_holdings_and_no_one_elses() -> None:
    authorizer = Authorizer()
    obj = "heilongjiang/household/appraisal"
    first, second = "230231101200", "230231101201"
    authorizer.load("u", [Holding(Role.VILLAGE_COMMITTEES, first)])
    authorizer.load("v", [Holding(Role.VILLAGE_COMMITTEES, first)])
    assert authorizer.allows("u", first, obj, "perform")  # decided and cached before
    authorizer.load("u", [Holding(Role.VILLAGE_COMMITTEES, first)])  # the same: kept
    assert authorizer.allows("u", first, obj, "perform")
    authorizer.load("u", [Holding(Role.VILLAGE_COMMITTEES, second)])
    assert authorizer.allows("u", second, obj, "perform")
    assert not authorizer.allows("u", first, obj, "perform")
    assert authorizer.allows("v", first, obj, "perform")  # another user's link stays
    authorizer.load("v", [])
    assert authorizer.is_loaded("v")
    assert not authorizer.holds_any("v")
    assert not authorizer.allows("v", first, obj, "perform")
    assert authorizer.holds_any("u")


def test_a_forgotten_users_links_are_gone_from_the_enforcer() -> None:
    """A version change starts from the static policy: no link of a forgotten user
    survives to answer for it once it is loaded again with other holdings."""
    authorizer = Authorizer()
    authorizer.sync(1)
    obj = "heilongjiang/household/appraisal"
    authorizer.load("u", [Holding(Role.VILLAGE_COMMITTEES, "230231101200")])
    authorizer.sync(2)
    authorizer.load("u", [Holding(Role.VILLAGE_COMMITTEES, "230231101201")])
    assert not authorizer.allows("u", "230231101200", obj, "perform")
    assert authorizer.allows("u", "230231101201", obj, "perform")


def test_the_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.authz import enforcer

    monkeypatch.setattr(enforcer, "MAX_CACHED_DECISIONS", 3)
    monkeypatch.setattr(enforcer, "MAX_LOADED_SUBJECTS", 2)
    authorizer = Authorizer()
    authorizer.sync(1)
    obj = "heilongjiang/household/appraisal"
    for n in range(3):
        authorizer.load(f"u{n}", [Holding(Role.VILLAGE_COMMITTEES, "230231101200")])
    assert not authorizer.is_loaded("u0")  # forgotten when the third arrived
    assert authorizer.is_loaded("u2")
    for village in ("230231101200", "230231101201", "230231101202", "230231101203"):
        authorizer.allows("u2", village, obj, "perform")
    assert authorizer.allows("u2", "230231101200", obj, "perform")


def test_only_evaluators_record_and_submit_and_officials_assign(authorizer: Authorizer) -> None:
    """The evaluation object, for every role held in the county and in a foreign one."""
    county, foreign = "230231", "371302"
    for role in Role:
        for held, covers in ((county, True), (foreign, False)):
            if ROLES[role].tier is Tier.NATIONAL:
                held, covers = NATIONAL, True
            elif ROLES[role].level is not None:
                held = (held + "0" * 12)[: CODE_LENGTHS[ROLES[role].level]]
                covers = covers and len(held) <= len(county)
            subject = f"evaluation:{role}@{held}"
            authorizer.load(subject, [Holding(role, held)])
            expected = {
                Action.RECORD: covers and role is Role.THIRD_PARTY_EVALUATOR,
                Action.SUBMIT: covers and role is Role.THIRD_PARTY_EVALUATOR,
                Action.ASSIGN: covers
                and role
                in (
                    Role.COUNTY_LEADING_GROUP,
                    Role.MUNICIPAL_LEADING_GROUP,
                    Role.PROVINCIAL_LEADING_GROUP,
                    Role.STATE_COUNCIL_LEADING_GROUP,
                ),
            }
            for action, allowed in expected.items():
                got = authorizer.allows(subject, county, "evaluation", action)
                assert got is allowed, (role, held, action)
