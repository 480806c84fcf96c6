"""Production tokens: RS256/ES256 from the identity provider, issuer, audience, expiry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.auth.tokens import InvalidToken, ProductionVerifier
from api.domain.roles import Principal, Role

ISSUER, AUDIENCE = "https://id.example.gov.cn", "tuopin"


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": "official-7",
        "role": "county_leading_group",
        "jur": "230231",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    base.update(overrides)
    return base


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_verifier(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> ProductionVerifier:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    jwk.update(kid="k1", alg="RS256", use="sig")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}), encoding="utf-8")
    return ProductionVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=path)


def test_an_rs256_token_from_the_jwks_is_accepted(
    jwks_verifier: ProductionVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    assert jwks_verifier(token) == Principal("official-7", Role.COUNTY_LEADING_GROUP, "230231")


@pytest.mark.parametrize(
    ("overrides", "headers", "message"),
    [
        ({"iss": "https://other.example"}, {"kid": "k1"}, "(?i)issuer"),
        ({"aud": "someone-else"}, {"kid": "k1"}, "(?i)audience"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, {"kid": "k1"}, "expired"),
        ({}, {"kid": "unknown"}, "unknown key"),
        ({"role": "village_committees"}, {"kid": "k1"}, "does not fit"),
    ],
)
def test_bad_production_tokens_are_refused(
    jwks_verifier: ProductionVerifier,
    rsa_key: rsa.RSAPrivateKey,
    overrides: dict[str, Any],
    headers: dict[str, str],
    message: str,
) -> None:
    token = jwt.encode(claims(**overrides), rsa_key, algorithm="RS256", headers=headers)
    with pytest.raises(InvalidToken, match=message):
        jwks_verifier(token)


def test_hs256_is_never_accepted_in_production(tmp_path: Path) -> None:
    """Algorithm confusion: an HS256 token 'signed' with the public key must fail."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = tmp_path / "public.pem"
    path.write_bytes(pem)
    verifier = ProductionVerifier(issuer=ISSUER, audience=AUDIENCE, public_key_file=path)
    good = jwt.encode(claims(), key, algorithm="ES256")
    assert verifier(good).role is Role.COUNTY_LEADING_GROUP
    forged = jwt.encode(claims(), "not-the-key-" * 4, algorithm="HS256")
    with pytest.raises(InvalidToken):
        verifier(forged)


def _verifier(tmp_path: Path, kind: str, rsa_key: rsa.RSAPrivateKey, ec_key: Any) -> Any:
    if kind == "jwks":
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
        jwk.update(kid="k1", alg="RS256", use="sig")
        path = tmp_path / "jwks.json"
        path.write_text(json.dumps({"keys": [jwk]}), encoding="utf-8")
        return ProductionVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_file=path)
    key = rsa_key if kind == "rsa-pem" else ec_key
    path = tmp_path / "public.pem"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return ProductionVerifier(issuer=ISSUER, audience=AUDIENCE, public_key_file=path)


ACCEPTED = {("rsa-pem", "RS256"), ("jwks", "RS256"), ("ec-pem", "ES256")}


@pytest.mark.parametrize("kind", ["rsa-pem", "ec-pem", "jwks"])
@pytest.mark.parametrize("alg", ["RS256", "ES256", "HS256", "none"])
def test_every_algorithm_against_every_key_type_is_accepted_or_a_clean_refusal(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, kind: str, alg: str
) -> None:
    """A token an attacker can type (any alg against any configured key, ES256 against an
    RSA key included) is accepted only when alg and key fit; otherwise InvalidToken
    (a 401), never another exception (a 500)."""
    ec_key = ec.generate_private_key(ec.SECP256R1())
    verifier = _verifier(tmp_path, kind, rsa_key, ec_key)
    signing: Any = {"RS256": rsa_key, "ES256": ec_key, "HS256": "k" * 32, "none": None}[alg]
    token = jwt.encode(claims(), signing, algorithm=alg, headers={"kid": "k1"})
    if (kind, alg) in ACCEPTED:
        assert verifier(token).role is Role.COUNTY_LEADING_GROUP
        return
    with pytest.raises(InvalidToken):
        verifier(token)


@pytest.mark.parametrize(
    "overrides",
    [{"jur": 230231}, {"role": ["county_leading_group"]}, {"sub": "x" * 101}, {"sub": ""}],
    ids=["jur-number", "role-list", "sub-too-long", "sub-empty"],
)
def test_claims_of_the_wrong_type_are_refused(
    jwks_verifier: ProductionVerifier, rsa_key: rsa.RSAPrivateKey, overrides: dict[str, Any]
) -> None:
    token = jwt.encode(claims(**overrides), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken):
        jwks_verifier(token)


def test_garbage_is_refused(jwks_verifier: ProductionVerifier) -> None:
    for token in ("", "a.b.c", "e30.e30.", "x" * 5000, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"):
        with pytest.raises(InvalidToken):
            jwks_verifier(token)
