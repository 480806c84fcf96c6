"""Dev access tokens: HS256 JWTs signed with the dev key.

Claims: ``sub`` (who), ``role``, ``jur`` (division code; ``""`` for national
roles), ``iss``, ``aud``, ``iat``, ``exp``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=DEV_ISSUER,
            options={"require": ["sub", "role", "jur", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"the access token is invalid: {exc}") from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise InvalidToken(f"the access token names an unknown role {claims['role']!r}") from None
    principal = Principal(subject=str(claims["sub"]), role=role, jurisdiction=str(claims["jur"]))
    try:
        check_holding(principal.role, principal.jurisdiction)
    except ValidationFailed as exc:
        raise InvalidToken(f"the access token's role does not fit: {exc.message}") from None
    return principal
