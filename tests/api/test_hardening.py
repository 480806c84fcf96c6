"""What a hostile client finds: every refusal is typed (``extensions.code``), no input
reaches a Python exception, nothing is suggested in production. The production cases
run against PostgreSQL in production mode with a generated RSA key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.app import create_app
from api.config import Mode, Settings
from api.domain.roles import Role
from tests.api.conftest import GraphQL, _record_holdings, own_settings, serving, token_for
from tests.conftest import Database, fresh_database

VILLAGE = "230231101200"
COUNTY = (Role.COUNTY_LEADING_GROUP, "230231")


def codes(body: dict[str, Any]) -> list[str]:
    errors = body.get("errors") or []
    assert errors, body
    return [e["extensions"]["code"] for e in errors]


@pytest.mark.parametrize(
    ("query", "code", "says"),
    [
        ("query { ...Nope }", "GRAPHQL_VALIDATION_FAILED", "Unknown fragment 'Nope'"),
        (
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "GRAPHQL_VALIDATION_FAILED",
            "Cannot spread fragment",
        ),
        (
            "query { ...F0 } "
            + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(300))
            + " fragment F300 on Query { provinces { code } }",
            "GRAPHQL_VALIDATION_FAILED",
            "",
        ),
        (
            "{ " + " ".join(f"a{i}: provinces {{ code }}" for i in range(31)) + " }",
            "GRAPHQL_VALIDATION_FAILED",
            "aliases",
        ),
        ("{ provinces { nope } }", "GRAPHQL_VALIDATION_FAILED", "Cannot query field"),
        ("{ provinces { code }", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
    ],
    ids=["unknown-fragment", "fragment-cycle", "300-spreads", "31-aliases", "field", "parse"],
)
async def test_bad_documents_are_typed_refusals(
    gql: GraphQL, query: str, code: str, says: str
) -> None:
    body = await gql(query)
    assert codes(body)[0] == code, body
    assert says in body["errors"][0]["message"]
    assert "recursion" not in json.dumps(body)
    assert "data" not in body or body["data"] is None


async def test_out_of_range_inputs_are_the_clients_mistake(gql: GraphQL) -> None:
    query = """query($code: String!, $year: Int!) { jurisdiction(code: $code) {
      households(first: 1, meetsStandard: {year: $year}) { edges { node { id } } } } }"""
    far = await gql(query, as_=COUNTY, code=VILLAGE, year=99999)
    assert codes(far) == ["VALIDATION_FAILED"], far
    assert "Unexpected error" not in json.dumps(far)
    huge = await gql(query, as_=COUNTY, code=VILLAGE, year=2**40)
    assert codes(huge) == ["BAD_USER_INPUT"], huge
    literal = await gql(
        '{ jurisdiction(code: "230231101200") { households(first: 1, '
        "meetsStandard: {year: 99999}) { totalCount } } }",
        as_=COUNTY,
    )
    assert codes(literal) == ["VALIDATION_FAILED"], literal


async def test_anonymous_and_unknown_things_are_typed(gql: GraphQL) -> None:
    missing = await gql('{ node(id: "bm9wZTox") { id } }', as_=COUNTY)
    assert missing.get("data", {}).get("node") is None or codes(missing)
    bad_code = await gql('{ jurisdiction(code: "23x") { name } }')
    assert codes(bad_code) == ["VALIDATION_FAILED"]


async def test_headers_are_bounded(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ provinces { code } }"},
        headers={"Authorization": "Bearer " + "a" * 200_000},
    )
    assert response.status_code == 431
    assert response.json()["errors"][0]["extensions"]["code"] == "HEADERS_TOO_LARGE"


@pytest.fixture(scope="module")
def race_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("race"), "race") as url:
        asyncio.run(_record_holdings(url))
        yield url


async def test_twenty_concurrent_calls_with_one_key_get_one_result(
    race_database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A retry racing the first call waits for it and gets its result, or is told the
    key is in use; never the error of a unique violation it did not cause. On a
    database of its own: the subscription it makes would be delivered to elsewhere."""
    async with serving(own_settings(race_database, tmp_path_factory)) as client:
        await _race(client)


async def _race(client: httpx.AsyncClient) -> None:
    mutation = """mutation($input: CreateWebhookInput!, $key: String) {
      createWebhookSubscription(input: $input, idempotencyKey: $key) {
        __typename ... on CreateWebhookSuccess { subscription { id } }
        ... on Error { code message } } }"""
    token = token_for(Role.INTEGRATOR, "23")
    variables = {
        "input": {"url": "https://sync.example.gov.cn/hook"},
        "key": f"race-{datetime.now(UTC).timestamp()}",
    }

    async def call() -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": mutation, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["data"]["createWebhookSubscription"])

    results = await asyncio.gather(*(call() for _ in range(20)))
    made = {r["subscription"]["id"] for r in results if "subscription" in r}
    assert len(made) == 1, results
    others = [r for r in results if "subscription" not in r]
    assert all(r["code"] == "CONFLICT" and "key" in r["message"] for r in others), others


# ---------------------------------------------------------------- production mode


@dataclass
class Production:
    client: httpx.AsyncClient
    key: rsa.RSAPrivateKey


@pytest.fixture
async def production(database: Database, tmp_path: Path) -> AsyncIterator[Production]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "idp.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = Settings(
        mode=Mode.PRODUCTION,
        database_url=database.url,
        state_dir=tmp_path / "state",
        jwt_issuer="https://id.example",
        jwt_audience="tuopin",
        jwt_public_key_file=pem,
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield Production(client, key)


def _production_token(production: Production, alg: str, **claims: Any) -> str:
    now = datetime.now(UTC)
    body = {
        "sub": "official-1",
        "role": "county_leading_group",
        "jur": "230231",
        "iss": "https://id.example",
        "aud": "tuopin",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        **claims,
    }
    if alg == "RS256":
        return jwt.encode(body, production.key, algorithm="RS256")
    return jwt.encode(body, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")


async def _post(client: httpx.AsyncClient, query: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_production_refuses_cleanly_and_suggests_nothing(production: Production) -> None:
    client = production.client
    es256 = await _post(client, "{ provinces { code } }", _production_token(production, "ES256"))
    assert es256.status_code == 401
    assert es256.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    numeric = _production_token(production, "RS256", jur=230231)
    assert (await _post(client, "{ provinces { code } }", numeric)).status_code == 401
    good = _production_token(production, "RS256")
    ok = await _post(client, "{ provinces { code } }", good)
    assert ok.status_code == 200, ok.text
    assert "errors" not in ok.json()
    for query in (
        "{ viewer { rol } }",
        "{ provincs { code } }",
        '{ jurisdiction(cod: "23") { name } }',
        "query($a: Strin) { provinces { code } }",
    ):
        refused = await _post(client, query, good)
        text = json.dumps(refused.json())
        assert "Did you mean" not in text, text
        assert set(codes(refused.json())) == {"GRAPHQL_VALIDATION_FAILED"}
    huge = await client.post(
        "/graphql",
        json={"query": "{ provinces { code } }"},
        headers={"Authorization": "Bearer " + "a" * 200_000},
    )
    assert huge.status_code == 431
