"""One dev token per role, each held in a demo jurisdiction."""

from __future__ import annotations

from datetime import timedelta

from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.domain.roles import NATIONAL, ROLES, Principal, Role

# Baiquan county (拜泉县, national-level poor county), its town 三道镇 and a village.
HEILONGJIANG_VILLAGE = "230231101200"
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
    (Role.THIRD_PARTY_EVALUATOR, HEILONGJIANG_VILLAGE[:6]),
    (Role.INSPECTOR, "23"),
    (Role.INTEGRATOR, "23"),
    # Lanshan district (兰山区): the county tier and a town.
    (Role.COUNTY_LEADING_GROUP, "371302"),
    (Role.TOWNSHIP_GOVERNMENT, "371302101"),
]


def dev_subject(role: Role, code: str) -> str:
    return f"dev:{role}:{code or 'national'}"


def dev_tokens(settings: Settings) -> list[tuple[str, str]]:
    key = settings.signing_key()
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    result = []
    for role, code in HOLDINGS:
        principal = Principal(subject=dev_subject(role, code), role=role, jurisdiction=code)
        label = f"{role} ({ROLES[role].zh}) in {code or 'the whole country'}"
        result.append((label, issue_dev_token(principal, key=key, ttl=ttl)))
    return result
