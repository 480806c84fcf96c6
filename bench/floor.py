"""The floor: the benchmark's reference reads answered by bare Starlette + asyncpg.

It takes the very requests the API gets (POST /graphql, the same JSON bodies and bearer
tokens), verifies the token, runs hand-written SQL scoped to the token's jurisdiction,
and answers with byte-for-byte the JSON the API gives. No GraphQL, no ORM, no
authorization engine: what is left is the least any server must do.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ["BENCH_DSN"]
KEY = os.environ["BENCH_KEY"]
YEAR = 2016
CENT = Decimal("0.01")
INBOX_STAGES = {
    "township_government": (
        "(p.code = 'lanshan' AND a.subject_kind = 'household' "
        "AND a.stage IN ('town_spot_check', 'announcement')) OR "
        "(p.code = 'lanshan' AND a.subject_kind = 'village' "
        "AND a.stage IN ('proposal', 'village_notice')) OR "
        "(p.code = 'heilongjiang' AND a.subject_kind = 'village' AND a.stage = 'township_notice')"
    )
}
pool: asyncpg.Pool | None = None


def bounds(prefix: str) -> tuple[str, str]:
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def gid(kind: str, ident: int) -> str:
    return base64.b64encode(f"{kind}:{ident}".encode()).decode()


def out(data: dict[str, Any]) -> Response:
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def households(claims: dict[str, Any], variables: dict[str, Any]) -> Response:
    code = variables["code"]
    low, high = bounds(claims["jur"])
    assert pool is not None
    async with pool.acquire() as connection:
        name = await connection.fetchval("SELECT name FROM jurisdictions WHERE code = $1", code)
        rows = await connection.fetch(
            """
            SELECT h.registry_no, h.head_name, h.exit_attribute,
              (SELECT count(*) FROM household_members m WHERE m.household_id = h.id
                 AND (m.joined_year IS NULL OR m.joined_year <= $4)
                 AND (m.left_year IS NULL OR m.left_year > $4)) AS size,
              (SELECT coalesce(sum(CASE WHEN i.kind = 'cost' THEN -i.amount ELSE i.amount END), 0)
                 FROM income_records i WHERE i.household_id = h.id AND i.year = $4) AS net
            FROM households h
            WHERE h.village_code = $1 AND h.village_code >= $2 AND h.village_code < $3
            ORDER BY h.village_code, h.id LIMIT 50
            """,
            code,
            low,
            high,
            YEAR,
        )
    edges = [
        {
            "node": {
                "registryNo": row["registry_no"],
                "headName": row["head_name"],
                "exitAttribute": row["exit_attribute"].upper(),
                "size": row["size"],
                "perCapitaNetIncome": (
                    str((row["net"] / row["size"]).quantize(CENT, rounding=ROUND_HALF_UP))
                    if row["size"]
                    else None
                ),
            }
        }
        for row in rows
    ]
    return out({"jurisdiction": {"name": name, "households": {"edges": edges}}})


async def inbox(claims: dict[str, Any], variables: dict[str, Any]) -> Response:
    low, high = bounds(claims["jur"])
    assert pool is not None
    async with pool.acquire() as connection:
        # The only interpolation is a constant chosen by the (verified) token's role.
        rows = await connection.fetch(
            f"""
            SELECT a.id, a.subject_key, a.stage, h.head_name
            FROM exit_applications a
            JOIN procedure_versions p ON p.id = a.procedure_version_id
            LEFT JOIN households h
              ON a.subject_kind = 'household' AND h.registry_no = a.subject_key
             AND h.village_code >= $1 AND h.village_code < $2
            WHERE a.unit_code >= $1 AND a.unit_code < $2
              AND a.status IN ('in_progress', 'objected')
              AND ({INBOX_STAGES[claims["role"]]})
            ORDER BY a.updated_at, a.id LIMIT 20
            """,
            low,
            high,
        )
        history = await connection.fetch(
            "SELECT application_id, stage, action, actor_subject AS actor, at FROM stage_records "
            "WHERE application_id = ANY($1::bigint[]) ORDER BY application_id, id",
            [row["id"] for row in rows],
        )
    records: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for record in history:
        records[record["application_id"]].append(
            {
                "stage": record["stage"],
                "action": record["action"],
                "actor": record["actor"],
                "at": record["at"].isoformat(),
            }
        )
    items = [
        {
            "id": gid("ExitApplication", row["id"]),
            "subjectKey": row["subject_key"],
            "currentStage": {"code": row["stage"]},
            "household": None if row["head_name"] is None else {"headName": row["head_name"]},
            "history": records[row["id"]],
        }
        for row in rows
    ]
    return out({"viewer": {"inbox": items}})


async def household(claims: dict[str, Any], variables: dict[str, Any]) -> Response:
    kind, ident = base64.b64decode(variables["id"]).decode().split(":")
    low, high = bounds(claims["jur"])
    assert pool is not None
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            """
            SELECT h.id, h.registry_no, h.head_name, v.name AS village, c.name AS county
            FROM households h
            JOIN jurisdictions v ON v.code = h.village_code
            JOIN jurisdictions c ON c.code = substr(h.village_code, 1, 6)
            WHERE h.id = $1 AND h.village_code >= $2 AND h.village_code < $3
            """,
            int(ident),
            low,
            high,
        )
        members = await connection.fetch(
            "SELECT name, id_number, relation FROM household_members "
            "WHERE household_id = $1 ORDER BY id",
            int(ident),
        )
    if kind != "Household" or row is None:
        return out({"node": None})
    # A county official's jurisdiction contains the household's township: ID numbers
    # are shown in full, as the API does.
    return out(
        {
            "node": {
                "registryNo": row["registry_no"],
                "headName": row["head_name"],
                "members": [
                    {
                        "name": m["name"],
                        "idNumber": m["id_number"],
                        "relation": m["relation"].upper(),
                    }
                    for m in members
                ],
                "village": {"name": row["village"]},
                "county": {"name": row["county"]},
            }
        }
    )


async def search(claims: dict[str, Any], variables: dict[str, Any]) -> Response:
    """A name part of three characters or more, anywhere in a member's name, under the
    token's jurisdiction, in (village, id) order: what the API's search does for it."""
    low, high = bounds(claims["jur"])
    escaped = variables["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    assert pool is not None
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            """
            WITH matched AS MATERIALIZED (
              SELECT DISTINCT household_id FROM household_members WHERE name LIKE $1)
            SELECT h.id, h.registry_no, h.head_name, h.village_code FROM households h
            WHERE h.village_code >= $2 AND h.village_code < $3
              AND h.id IN (SELECT household_id FROM matched)
            ORDER BY h.village_code, h.id LIMIT 21
            """,
            pattern,
            low,
            high,
        )
    page = rows[:20]
    end = None
    if page:
        raw = f"{page[-1]['village_code']}\x1f{page[-1]['id']}".encode()
        end = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    edges = [
        {
            "node": {
                "registryNo": row["registry_no"],
                "headName": row["head_name"],
                "villageCode": row["village_code"],
            }
        }
        for row in page
    ]
    return out(
        {
            "searchHouseholds": {
                "edges": edges,
                "pageInfo": {"hasNextPage": len(rows) > 20, "endCursor": end},
            }
        }
    )


HANDLERS = {"A": households, "B": inbox, "C": household, "E": search}


async def graphql(request: Request) -> Response:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(
            token, KEY, algorithms=["HS256"], audience="tuopin", options={"require": ["exp"]}
        )
    except jwt.InvalidTokenError:
        return Response(status_code=401)
    body = orjson.loads(await request.body())
    handler = HANDLERS.get(body.get("operationName", ""))
    if handler is None:
        return Response(status_code=400)
    return await handler(claims, body.get("variables") or {})


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=4, max_size=16)
    try:
        yield
    finally:
        await pool.close()


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)
