"""Webhooks as pure rules: the signature, the retry schedule, what a subscription may name.

A delivery is signed over ``"{timestamp}." + body`` with HMAC-SHA256 and the
subscription's secret; the header reads ``t=<unix seconds>,v1=<hex digest>``. Receivers
check the digest in constant time and refuse old timestamps, which stops replays.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from api.errors import ValidationFailed

SIGNATURE_HEADER = "Tuopin-Signature"
EVENT_ID_HEADER = "Tuopin-Event-Id"
ATTEMPT_HEADER = "Tuopin-Delivery-Attempt"
MIN_SECRET_LENGTH = 16
MAX_URL_LENGTH = 2_000


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the digest matches and the timestamp is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Exponential backoff: ``base × 2^(attempt-1)``, capped; dead after ``max_attempts``."""

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValidationFailed("max_attempts is at least 1", path=("maxAttempts",))
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValidationFailed("backoff needs 0 < base <= cap", path=("backoff",))

    def delay_after(self, attempt: int) -> timedelta | None:
        """How long to wait after failed attempt ``attempt`` (1-based); None: dead letter."""
        if attempt >= self.max_attempts:
            return None
        # In float seconds, so a large attempt number cannot overflow timedelta.
        seconds = self.base.total_seconds() * 2.0 ** min(attempt - 1, 1_000)
        return min(timedelta(seconds=min(seconds, 1e9)), self.cap)


def validate_url(url: str, *, allow_http: bool) -> str:
    """An absolute http(s) URL with a host; plain http only where allowed (dev)."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(f"url is longer than {MAX_URL_LENGTH} characters", path=("url",))
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise ValidationFailed(f"url must use {' or '.join(schemes)}", path=("url",))
    if not parts.hostname:
        raise ValidationFailed("url names no host", path=("url",))
    if parts.username or parts.password:
        raise ValidationFailed("url must not carry credentials; use the secret", path=("url",))
    if parts.fragment:
        raise ValidationFailed("url must not have a fragment", path=("url",))
    return url


def validate_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValidationFailed(
            f"secret must be at least {MIN_SECRET_LENGTH} characters", path=("secret",)
        )
    if len(secret) > 200:
        raise ValidationFailed("secret must be at most 200 characters", path=("secret",))
    return secret


def validate_kinds(kinds: list[str], known: frozenset[str]) -> list[str]:
    """Known kinds, deduplicated in order; an empty list means every kind."""
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise ValidationFailed(
            f"unknown change kinds: {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            path=("kinds",),
        )
    return list(dict.fromkeys(kinds))
