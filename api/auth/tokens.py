"""Access tokens.

Dev mode signs and verifies HS256 with its own key. Production verifies RS256 or
ES256 tokens from the identity provider against a configured public key (PEM) or
JWKS file, checking issuer, audience and expiry; HS256 is never accepted there.

Claims: ``sub`` (who), ``role``, ``jur`` (division code; ``""`` for national
roles), ``iss``, ``aud``, ``iat``, ``exp``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from api.domain.roles import Principal, Role, check_holding
from api.errors import ValidationFailed

DEV_ISSUER = "tuopin-dev"
AUDIENCE = "tuopin"
ALGORITHM = "HS256"


class InvalidToken(ValidationFailed):
    """The bearer token is missing a claim, expired, forged or malformed."""


def issue_dev_token(
    principal: Principal, *, key: str, ttl: timedelta, now: datetime | None = None
) -> str:
    check_holding(principal.role, principal.jurisdiction)
    issued = now or datetime.now(UTC)
    claims = {
        "sub": principal.subject,
        "role": principal.role.value,
        "jur": principal.jurisdiction,
        "iss": DEV_ISSUER,
        "aud": AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_dev_token(token: str, *, key: str) -> Principal:
    return _verify(token, key, algorithms=[ALGORITHM], issuer=DEV_ISSUER, audience=AUDIENCE)


PRODUCTION_ALGORITHMS = ["RS256", "ES256"]
_TEXT_CLAIMS = ("sub", "role", "jur")
MAX_SUBJECT_LENGTH = 100
"""As long as the columns that record who acted (``actor_subject``) may hold."""


class ProductionVerifier:
    """Verifies identity-provider tokens against a PEM public key or a JWKS file."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_key_file: Path | None = None,
        jwks_file: Path | None = None,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._pem = public_key_file.read_text(encoding="ascii") if public_key_file else None
        self._jwks = (
            jwt.PyJWKSet.from_json(jwks_file.read_text(encoding="utf-8")) if jwks_file else None
        )

    def __call__(self, token: str) -> Principal:
        key: Any = self._pem
        if self._jwks is not None:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.PyJWTError as exc:
                raise InvalidToken(f"the access token is invalid: {exc}") from None
            match = next((k for k in self._jwks.keys if k.key_id == kid), None)
            if match is None:
                raise InvalidToken("the access token is signed by an unknown key")
            key = match
        return _verify(
            token,
            key,
            algorithms=PRODUCTION_ALGORITHMS,
            issuer=self._issuer,
            audience=self._audience,
        )


def _verify(
    token: str, key: Any, *, algorithms: list[str], issuer: str, audience: str
) -> Principal:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            options={"require": ["sub", "role", "jur", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token has expired") from None
    except jwt.PyJWTError as exc:
        # InvalidTokenError, and InvalidKeyError: a token whose `alg` does not fit the
        # configured key (ES256 against an RSA key) is the client's fault, not ours.
        raise InvalidToken(f"the access token is invalid: {exc}") from None
    for name in _TEXT_CLAIMS:
        if not isinstance(claims[name], str):
            raise InvalidToken(f"the access token's {name!r} claim must be a string")
    if not 0 < len(claims["sub"]) <= MAX_SUBJECT_LENGTH:
        raise InvalidToken(
            f"the access token's 'sub' claim must hold 1 to {MAX_SUBJECT_LENGTH} characters"
        )
    try:
        role = Role(claims["role"])
    except ValueError:
        raise InvalidToken(f"the access token names an unknown role {claims['role']!r}") from None
    principal = Principal(subject=claims["sub"], role=role, jurisdiction=claims["jur"])
    try:
        check_holding(principal.role, principal.jurisdiction)
    except ValidationFailed as exc:
        raise InvalidToken(f"the access token's role does not fit: {exc.message}") from None
    return principal


class RememberedTokens:
    """Verified tokens remembered until they expire, so a client's every request does not
    verify the same signature again (PyJWT's checks cost more than some whole requests).

    Only tokens that passed ``verify`` are remembered, keyed by their exact text; each
    hit checks the expiry again, and an expired token goes back to ``verify`` (which
    refuses it). Bounded: when full, it starts afresh.
    """

    def __init__(
        self,
        verify: Callable[[str], Principal],
        *,
        size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verify = verify
        self._size = size
        self._clock = clock
        self._known: dict[str, tuple[Principal, int]] = {}

    def __call__(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and self._clock() < known[1]:
            return known[0]
        principal = self._verify(token)  # raises InvalidToken, expired included
        if len(self._known) >= self._size:
            self._known.clear()
        self._known[token] = (principal, _expiry(token))
        return principal


def _expiry(token: str) -> int:
    """The ``exp`` claim of a token ``verify`` has just accepted (its signature and
    expiry are checked there; here it is only read)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"])
