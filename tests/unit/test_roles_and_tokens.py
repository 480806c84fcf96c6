from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.auth.tokens import InvalidToken, issue_dev_token, verify_dev_token
from api.domain.roles import NATIONAL, Principal, Role, check_holding
from api.errors import ValidationFailed

KEY = "k" * 48


@pytest.mark.parametrize(
    ("role", "jurisdiction"),
    [
        (Role.VILLAGE_COMMITTEES, "230231101200"),
        (Role.TOWNSHIP_GOVERNMENT, "371302101"),
        (Role.COUNTY_LEADING_GROUP, "230231"),
        (Role.MUNICIPAL_LEADING_GROUP, "2302"),
        (Role.PROVINCIAL_GOVERNMENT, "23"),
        (Role.STATE_COUNCIL_LEADING_GROUP, NATIONAL),
        (Role.INSPECTOR, "230231"),
    ],
)
def test_a_role_is_held_at_its_tier(role: Role, jurisdiction: str) -> None:
    check_holding(role, jurisdiction)


@pytest.mark.parametrize(
    ("role", "jurisdiction", "message"),
    [
        (Role.VILLAGE_COMMITTEES, "23", "held in a village unit; 23 is a province"),
        (Role.COUNTY_LEADING_GROUP, "230231101", "held in a county unit"),
        (Role.STATE_COUNCIL_LEADING_GROUP, "23", "national role"),
        (Role.INSPECTOR, NATIONAL, "needs a jurisdiction"),
    ],
)
def test_a_role_outside_its_tier_is_refused(role: Role, jurisdiction: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        check_holding(role, jurisdiction)


def test_read_scope_is_the_role_subtree_and_evaluators_see_no_subtree() -> None:
    township = Principal("u1", Role.TOWNSHIP_GOVERNMENT, "230231101")
    assert township.read_scope().covers("230231101200")
    assert not township.read_scope().covers("230231102200")
    assert Principal("n", Role.STATE_COUNCIL_LEADING_GROUP, NATIONAL).read_scope().covers("37")
    evaluator = Principal("e", Role.THIRD_PARTY_EVALUATOR, "230231")
    assert not evaluator.read_scope().covers("230231101200")


def test_a_dev_token_round_trips() -> None:
    principal = Principal("dev:1", Role.COUNTY_LEADING_GROUP, "371302")
    token = issue_dev_token(principal, key=KEY, ttl=timedelta(minutes=5))
    assert verify_dev_token(token, key=KEY) == principal


def test_expired_forged_and_ill_fitting_tokens_are_refused() -> None:
    principal = Principal("dev:1", Role.COUNTY_LEADING_GROUP, "371302")
    old = datetime.now(UTC) - timedelta(hours=2)
    expired = issue_dev_token(principal, key=KEY, ttl=timedelta(minutes=5), now=old)
    with pytest.raises(InvalidToken, match="expired"):
        verify_dev_token(expired, key=KEY)
    forged = issue_dev_token(principal, key="x" * 48, ttl=timedelta(minutes=5))
    with pytest.raises(InvalidToken, match="invalid"):
        verify_dev_token(forged, key=KEY)
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "x", "iss": "tuopin-dev", "aud": "tuopin", "iat": now, "exp": now + 60}
    unknown = jwt.encode({**claims, "role": "emperor", "jur": "23"}, KEY, algorithm="HS256")
    with pytest.raises(InvalidToken, match="unknown role"):
        verify_dev_token(unknown, key=KEY)
    misplaced = jwt.encode({**claims, "role": "village_committees", "jur": "23"}, KEY, "HS256")
    with pytest.raises(InvalidToken, match="does not fit"):
        verify_dev_token(misplaced, key=KEY)
