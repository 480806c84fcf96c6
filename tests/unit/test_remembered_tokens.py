"""Verified tokens are remembered until they expire, and only verified ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.auth.tokens import InvalidToken, RememberedTokens, issue_dev_token, verify_dev_token
from api.domain.roles import Principal, Role

KEY = "unit-test-key-" + "k" * 32
NOW = datetime(2016, 10, 8, 9, 0, tzinfo=UTC)
WHO = Principal("cadre-1", Role.TOWNSHIP_GOVERNMENT, "230231101")


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, token: str) -> Principal:
        self.calls += 1
        # Verify as of NOW: the remembered expiry is what the cache must honour.
        import jwt

        claims = jwt.decode(
            token, KEY, algorithms=["HS256"], audience="tuopin", options={"verify_exp": False}
        )
        if claims["exp"] <= clock.now:
            raise InvalidToken("the access token has expired")
        return verify_dev_token(token, key=KEY) if clock.real else WHO


class Clock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()
        self.real = False

    def __call__(self) -> float:
        return self.now


clock = Clock()


def test_a_verified_token_is_verified_once_until_it_expires() -> None:
    verify = Counting()
    remembered = RememberedTokens(verify, clock=clock)
    token = issue_dev_token(WHO, key=KEY, ttl=timedelta(minutes=10), now=NOW)
    assert remembered(token) == WHO
    assert remembered(token) == WHO
    assert verify.calls == 1
    clock.now += 10 * 60  # exactly at exp: expired
    with pytest.raises(InvalidToken, match="expired"):
        remembered(token)
    assert verify.calls == 2
    clock.now = NOW.timestamp()


def test_refused_tokens_are_not_remembered() -> None:
    clock.real = True
    try:
        remembered = RememberedTokens(lambda t: verify_dev_token(t, key=KEY), clock=clock)
        forged = issue_dev_token(WHO, key="another-key-" + "x" * 32, ttl=timedelta(hours=1))
        for _ in range(2):
            with pytest.raises(InvalidToken):
                remembered(forged)
        assert remembered._known == {}
    finally:
        clock.real = False


def test_it_stays_bounded() -> None:
    verify = Counting()
    remembered = RememberedTokens(verify, size=3, clock=clock)
    tokens = [
        issue_dev_token(
            Principal(f"cadre-{i}", Role.TOWNSHIP_GOVERNMENT, "230231101"),
            key=KEY,
            ttl=timedelta(minutes=10),
            now=NOW,
        )
        for i in range(5)
    ]
    for token in tokens:
        remembered(token)
    assert len(remembered._known) <= 3
