"""One dev token per role, each held in a demo jurisdiction."""

from __future__ import annotations

from api.domain.roles import NATIONAL, ROLES, Principal, Role

# Baiquan county (拜泉县, national-level poor county), its town 三道镇 and its village 革新村
# (合心村 beside it sits exactly at 2.00% incidence: the demo's village exit).
HEILONGJIANG_VILLAGE = "230231101202"
# 兰山区's town 白沙埠镇 (the township tier).
LANSHAN_TOWN = "371302101"
HOLDINGS: list[tuple[Role, str]] = [
    (Role.VILLAGE_COMMITTEES, HEILONGJIANG_VILLAGE),
    (Role.RESIDENT_WORK_TEAM, HEILONGJIANG_VILLAGE),
    (Role.FIRST_SECRETARY, HEILONGJIANG_VILLAGE),
    (Role.TOWNSHIP_GOVERNMENT, HEILONGJIANG_VILLAGE[:9]),
    (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6]),
    (Role.MUNICIPAL_LEADING_GROUP, HEILONGJIANG_VILLAGE[:4]),
    (Role.PROVINCIAL_LEADING_GROUP, "23"),
    (Role.PROVINCIAL_GOVERNMENT, "23"),
    (Role.STATE_COUNCIL_LEADING_GROUP, NATIONAL),
    # 依安县 (provincial-level) is the demo's county that applies to exit.
    (Role.THIRD_PARTY_EVALUATOR, "230223"),
    (Role.INSPECTOR, "23"),
    (Role.INTEGRATOR, "23"),
    # Lanshan district (兰山区): the county tier and a town.
    (Role.COUNTY_LEADING_GROUP, LANSHAN_TOWN[:6]),
    (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN),
]


def dev_subject(role: Role, code: str) -> str:
    return f"dev:{role}:{code or 'national'}"


def holders() -> list[Principal]:
    """The principal of every printed token."""
    return [
        Principal(subject=dev_subject(role, code), role=role, jurisdiction=code)
        for role, code in HOLDINGS
    ]


def label(principal: Principal) -> str:
    role = principal.role
    return f"{role} ({ROLES[role].zh}) in {principal.jurisdiction or 'the whole country'}"
