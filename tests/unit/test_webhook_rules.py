"""Webhook rules: signatures, the retry schedule, what a subscription may name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.domain import webhooks as rules
from api.errors import ValidationFailed

SECRET = "s3cret-s3cret-s3cret"


def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    body = b'{"id":"x"}'
    header = rules.signature(SECRET, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert rules.verify(SECRET, header, body, now=1_700_000_100)
    assert not rules.verify(SECRET, header, body + b" ", now=1_700_000_100)
    assert not rules.verify("another-secret-value", header, body, now=1_700_000_100)
    assert not rules.verify(SECRET, header, body, now=1_700_001_000)  # too old: a replay
    forged = header.replace("t=1700000000", "t=1700000900")
    assert not rules.verify(SECRET, forged, body, now=1_700_001_000)
    assert not rules.verify(SECRET, "v1=abc", body, now=1_700_000_000)
    assert not rules.verify(SECRET, "t=soon,v1=abc", body, now=1_700_000_000)


def test_the_backoff_doubles_up_to_its_cap_and_ends_in_a_dead_letter() -> None:
    schedule = rules.RetrySchedule(
        base=timedelta(seconds=10), cap=timedelta(minutes=5), max_attempts=7
    )
    delays = [schedule.delay_after(n) for n in range(1, 8)]
    assert delays == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(seconds=80),
        timedelta(seconds=160),
        timedelta(minutes=5),
        None,
    ]
    huge = rules.RetrySchedule(max_attempts=10**9)
    assert huge.delay_after(10**8) == huge.cap


@pytest.mark.parametrize(
    ("base", "cap", "attempts"),
    [(0, 10, 3), (10, 5, 3), (10, 10, 0)],
)
def test_a_schedule_that_cannot_work_is_refused(base: int, cap: int, attempts: int) -> None:
    with pytest.raises(ValidationFailed):
        rules.RetrySchedule(
            base=timedelta(seconds=base), cap=timedelta(seconds=cap), max_attempts=attempts
        )


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://receiver.example/hook", False, True),
        ("http://127.0.0.1:9000/hook", True, True),
        ("http://receiver.example/hook", False, False),
        ("ftp://receiver.example/hook", True, False),
        ("https://user:pw@receiver.example/hook", False, False),
        ("https://receiver.example/hook#frag", False, False),
        ("/hook", True, False),
        ("https://" + "a" * 2_000 + ".example/", False, False),
    ],
)
def test_urls(url: str, allow_http: bool, ok: bool) -> None:
    if ok:
        assert rules.validate_url(url, allow_http=allow_http) == url
    else:
        with pytest.raises(ValidationFailed):
            rules.validate_url(url, allow_http=allow_http)


def test_kinds_are_known_and_deduplicated() -> None:
    known = frozenset({"a", "b"})
    assert rules.validate_kinds(["b", "a", "b"], known) == ["b", "a"]
    assert rules.validate_kinds([], known) == []
    with pytest.raises(ValidationFailed, match="unknown change kinds: c"):
        rules.validate_kinds(["a", "c"], known)
