"""The tiered responsibility model's roles, and who a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.domain.jurisdictions import Level, Scope, level_of
from api.errors import ValidationFailed


class Tier(StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    NATIONAL = "national"
    OUTSIDE = "outside"


class Role(StrEnum):
    VILLAGE_COMMITTEES = "village_committees"
    RESIDENT_WORK_TEAM = "resident_work_team"
    FIRST_SECRETARY = "first_secretary"
    TOWNSHIP_GOVERNMENT = "township_government"
    COUNTY_LEADING_GROUP = "county_leading_group"
    MUNICIPAL_LEADING_GROUP = "municipal_leading_group"
    PROVINCIAL_LEADING_GROUP = "provincial_leading_group"
    PROVINCIAL_GOVERNMENT = "provincial_government"
    STATE_COUNCIL_LEADING_GROUP = "state_council_leading_group"
    THIRD_PARTY_EVALUATOR = "third_party_evaluator"
    INSPECTOR = "inspector"
    INTEGRATOR = "integrator"


@dataclass(frozen=True, slots=True)
class RoleInfo:
    tier: Tier
    zh: str
    level: Level | None
    """The level of unit the role is held in; None: any level (or, nationally, none)."""


ROLES: dict[Role, RoleInfo] = {
    Role.VILLAGE_COMMITTEES: RoleInfo(Tier.VILLAGE, "村“两委”", Level.VILLAGE),
    Role.RESIDENT_WORK_TEAM: RoleInfo(Tier.VILLAGE, "驻村工作队", Level.VILLAGE),
    Role.FIRST_SECRETARY: RoleInfo(Tier.VILLAGE, "第一书记", Level.VILLAGE),
    Role.TOWNSHIP_GOVERNMENT: RoleInfo(Tier.TOWNSHIP, "乡（镇）党委和政府", Level.TOWNSHIP),
    Role.COUNTY_LEADING_GROUP: RoleInfo(Tier.COUNTY, "县扶贫开发领导小组", Level.COUNTY),
    Role.MUNICIPAL_LEADING_GROUP: RoleInfo(
        Tier.MUNICIPAL, "市（地）扶贫开发领导小组", Level.MUNICIPALITY
    ),
    Role.PROVINCIAL_LEADING_GROUP: RoleInfo(Tier.PROVINCIAL, "省扶贫开发领导小组", Level.PROVINCE),
    Role.PROVINCIAL_GOVERNMENT: RoleInfo(Tier.PROVINCIAL, "省人民政府", Level.PROVINCE),
    Role.STATE_COUNCIL_LEADING_GROUP: RoleInfo(Tier.NATIONAL, "国务院扶贫开发领导小组", None),
    Role.THIRD_PARTY_EVALUATOR: RoleInfo(Tier.OUTSIDE, "第三方评估机构", None),
    Role.INSPECTOR: RoleInfo(Tier.OUTSIDE, "督查巡查", None),
    Role.INTEGRATOR: RoleInfo(Tier.OUTSIDE, "信息系统对接", None),
}

NATIONAL = ""
"""The jurisdiction of a national role: the empty prefix, which contains every code."""


def check_holding(role: Role, jurisdiction: str) -> None:
    """Raise ValidationFailed unless ``role`` can be held in ``jurisdiction``."""
    info = ROLES[role]
    if info.tier is Tier.NATIONAL:
        if jurisdiction != NATIONAL:
            raise ValidationFailed(
                f"{role} is a national role and is held without a jurisdiction",
                path=("jurisdiction",),
            )
        return
    if jurisdiction == NATIONAL:
        raise ValidationFailed(f"{role} needs a jurisdiction", path=("jurisdiction",))
    level = level_of(jurisdiction)
    if info.level is not None and level is not info.level:
        raise ValidationFailed(
            f"{role} is held in a {info.level} unit; {jurisdiction} is a {level}",
            path=("jurisdiction",),
        )


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: a subject holding one role in one jurisdiction."""

    subject: str
    role: Role
    jurisdiction: str

    def read_scope(self) -> Scope:
        """The subtrees whose register this principal may read."""
        if self.role is Role.THIRD_PARTY_EVALUATOR:
            # Evaluators read only what is assigned to them, which is not a subtree.
            return Scope.nothing()
        if self.jurisdiction == NATIONAL:
            return Scope.all()
        return Scope.of(self.jurisdiction)


PUBLIC_SCOPE = Scope.nothing()
