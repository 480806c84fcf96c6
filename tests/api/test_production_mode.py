"""Production mode: no GraphiQL, no introspection, only identity-provider tokens."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from api.app import create_app
from api.config import Mode, Settings


def production(tmp_path: Path) -> Settings:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1"}]}), encoding="utf-8")
    return Settings(
        mode=Mode.PRODUCTION,
        database_url="postgresql+asyncpg://db.invalid/tuopin",
        jwt_issuer="https://id.example",
        jwt_audience="tuopin",
        jwt_jwks_file=jwks,
    )


async def test_production_serves_no_ide_and_no_introspection(tmp_path: Path) -> None:
    app = create_app(production(tmp_path))
    transport = httpx.ASGITransport(app=app)
    # The engine connects lazily: none of these requests touches the database.
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        ide = await client.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code != 200 or "graphiql" not in ide.text.lower()
        body = (
            await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        ).json()
        assert "introspection" in body["errors"][0]["message"].lower()
        dev_style = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
        refused = await client.post(
            "/graphql",
            json={"query": "{ viewer { subject } }"},
            headers={"Authorization": f"Bearer {dev_style}"},
        )
        assert refused.status_code == 401
