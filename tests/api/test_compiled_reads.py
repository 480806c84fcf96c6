"""Compiled reads (api/compiled/) answer exactly as the general path does.

On the loaded demo (its scenes included: applications at every tier, notices, spot
checks), every planned field is asked by every printed holder, in and out of their
jurisdiction, and the compiled app's answer must equal graphql-core's (the app with
``planned=False``), while the compiled path is seen to answer (its counter). What the
compiled path declines is answered by the general path, errors included. Compiled
reads are PostgreSQL's, so this module runs once, on PostgreSQL (failing under CI=true
without a server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.compiled import sql
from api.config import Settings
from api.demo.tokens import HEILONGJIANG_VILLAGE, HOLDINGS, LANSHAN_TOWN, dev_subject
from api.domain.income import per_capita
from api.domain.roles import Principal, Role
from tests.api.conftest import KEY, demo_loaded, own_postgres_database, serving_both

HOUSEHOLD = """fragment H on Household { __typename id registryNo villageCode villagerGroup
  headName standardKind attribute mainCause exitAttribute registeredYear exitedYear phone
  size(year: 2016) perCapitaNetIncome(year: 2016) earlier: perCapitaNetIncome(year: 2015)
  members { __typename id name idNumber relation ethnicity education schooling health
    labourCapacity migrantWorkMonths medicalInsurance seriousIllnessInsurance
    seriousIllnessTreated pensionInsurance joinedYear leftYear }
  village { name level } county { code name } }"""

APPLICATION = """fragment A on ExitApplication { __typename id subjectKind subjectKey unitCode
  year status designation noticeStartedAt noticeEndsAt createdAt updatedAt
  currentStage { __typename code }
  household { registryNo headName phone members { idNumber } }
  history { __typename id stage action decision returnTo reason actor actorRole
    actorJurisdiction at } }"""

PAGE = (
    """query Page($code: String!, $first: Int!, $after: String, $attrs: [ExitAttribute!]) {
  jurisdiction(code: $code) { __typename id code name level parentCode
    parent { code name parent { name } } children { code name }
    households(first: $first, after: $after, exitAttribute: $attrs) { __typename totalCount
      pageInfo { __typename hasNextPage endCursor } edges { cursor node { ...H } } } } }
"""
    + HOUSEHOLD
)

NODE = (
    """query Node($id: ID!) { node(id: $id) { __typename id ... on Household { ...H }
  ... on Jurisdiction { code name children { name } } ... on ExitApplication { ...A } } }
"""
    + HOUSEHOLD
    + APPLICATION
)

INBOX = (
    """query Inbox($first: Int) { viewer { __typename subject role roleLabel jurisdictionCode
  jurisdiction { code name } inbox(first: $first) { ...A } } me: viewer { role } }
"""
    + APPLICATION
)

OUTSIDE = (Role.COUNTY_LEADING_GROUP, "371302")
"""Lanshan's county group: every Heilongjiang read is outside its jurisdiction."""
CODES = [
    HEILONGJIANG_VILLAGE,
    HEILONGJIANG_VILLAGE[:9],
    HEILONGJIANG_VILLAGE[:6],
    LANSHAN_TOWN,
    "230223",  # 依安县, the county that applies to exit
]


def compiled_count(path: str) -> float:
    return REGISTRY.get_sample_value("tuopin_compiled_operations_total", {"path": path}) or 0.0


def bearer(holder: tuple[Role, str]) -> dict[str, str]:
    role, code = holder
    principal = Principal(subject=dev_subject(role, code), role=role, jurisdiction=code)
    return {
        "Authorization": f"Bearer {issue_dev_token(principal, key=KEY, ttl=timedelta(minutes=30))}"
    }


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with own_postgres_database(tmp_path_factory, "compiled") as url:
        yield url


@asynccontextmanager
async def own_app(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """An app of its own, running, with a client."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        yield app, client


@pytest.fixture(scope="module")
async def demo_settings(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await demo_loaded(demo_url, tmp_path_factory)


@pytest.fixture(scope="module")
async def both(
    demo_settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with serving_both(demo_settings) as (compiled, reference):
        for holder in [*HOLDINGS, OUTSIDE]:  # the holdings read once, as a server has
            await compiled.post(
                "/graphql", json={"query": "{ viewer { role } }"}, headers=bearer(holder)
            )
        yield compiled, reference


async def same(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    query: str,
    holder: tuple[Role, str] | None,
    *,
    compiled: bool = True,
    **variables: Any,
) -> dict[str, Any]:
    """The answer of both apps, equal, taken by the compiled path (or, with
    ``compiled=False``, by the general one)."""
    client, reference = both
    headers = {} if holder is None else bearer(holder)
    request = {"query": query, "variables": variables}
    before = compiled_count("read"), compiled_count("general")
    mine = await client.post("/graphql", json=request, headers=headers)
    after = compiled_count("read"), compiled_count("general")
    theirs = await reference.post("/graphql", json=request, headers=headers)
    assert mine.status_code == theirs.status_code == 200, mine.text
    assert mine.json() == theirs.json(), f"{holder} {variables}"
    taken = (after[0] - before[0], after[1] - before[1])
    assert taken == ((1, 0) if compiled else (0, 1)), f"paths taken: {taken}"
    body: dict[str, Any] = mine.json()
    return body


@pytest.mark.parametrize("holder", [*HOLDINGS, OUTSIDE], ids=str)
async def test_every_holder_reads_pages_under_every_unit_as_the_general_path_does(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], holder: tuple[Role, str]
) -> None:
    seen_rows = 0
    for code in CODES:
        first = await same(both, PAGE, holder, code=code, first=3)
        page = first["data"]["jurisdiction"]["households"]
        if page is not None and page["pageInfo"]["hasNextPage"]:
            after = page["pageInfo"]["endCursor"]
            await same(both, PAGE, holder, code=code, first=2, after=after)
        for attrs in ([], ["NOT_EXITED"], ["EXITED_SUPPORTED", "RETURNED_TO_POVERTY"]):
            await same(both, PAGE, holder, code=code, first=4, attrs=attrs)
        seen_rows += 0 if page is None else len(page["edges"])
    await same(both, PAGE, holder, code="99", first=1)  # no such unit: null
    if holder[0] not in (Role.THIRD_PARTY_EVALUATOR, Role.INTEGRATOR) and holder != OUTSIDE:
        assert seen_rows > 0, "the holder sees households: the comparison is not empty"


async def test_members_and_phones_are_masked_exactly_where_the_general_path_masks_them(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    village = (Role.VILLAGE_COMMITTEES, HEILONGJIANG_VILLAGE)
    county = (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6])
    masked = await same(both, PAGE, village, code=HEILONGJIANG_VILLAGE, first=5)
    full = await same(both, PAGE, county, code=HEILONGJIANG_VILLAGE, first=5)
    masked_ids = [
        m["idNumber"]
        for e in masked["data"]["jurisdiction"]["households"]["edges"]
        for m in e["node"]["members"]
    ]
    full_ids = [
        m["idNumber"]
        for e in full["data"]["jurisdiction"]["households"]["edges"]
        for m in e["node"]["members"]
    ]
    assert masked_ids
    assert all("********" in i for i in masked_ids)
    assert full_ids
    assert not any("*" in i for i in full_ids)


@pytest.mark.parametrize("holder", [*HOLDINGS, OUTSIDE], ids=str)
async def test_every_holder_reads_its_inbox_and_nodes_as_the_general_path_does(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], holder: tuple[Role, str]
) -> None:
    await same(both, INBOX, holder)
    await same(both, INBOX, holder, first=1)
    # Nodes of every planned type, taken from what the county and the town can see.
    ids = set()
    for reader in ((Role.COUNTY_LEADING_GROUP, "230231"), (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)):
        inbox = await same(both, INBOX, reader, first=5)
        ids |= {a["id"] for a in inbox["data"]["viewer"]["inbox"]}
        page = await same(both, PAGE, reader, code=reader[1], first=2)
        edges = page["data"]["jurisdiction"]["households"]["edges"]
        ids |= {e["node"]["id"] for e in edges}
        ids.add(page["data"]["jurisdiction"]["id"])
    assert len(ids) >= 6
    for global_id in sorted(ids):
        await same(both, NODE, holder, id=global_id)


async def test_the_inbox_compiled_holds_applications_with_households_and_history(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    town = (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)
    inbox = (await same(both, INBOX, town))["data"]["viewer"]["inbox"]
    assert inbox, "the demo has work waiting on Lanshan's town"
    assert all(item["history"] for item in inbox)
    assert any(item["household"] is not None for item in inbox)


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        # arguments the general path refuses, with its own errors
        (PAGE, {"code": HEILONGJIANG_VILLAGE, "first": 0}),
        (PAGE, {"code": HEILONGJIANG_VILLAGE, "first": 101}),
        (PAGE, {"code": HEILONGJIANG_VILLAGE, "first": 2, "after": "bm90IGEgY3Vyc29y"}),
        (PAGE, {"code": "23x", "first": 2}),
        (PAGE, {"code": HEILONGJIANG_VILLAGE, "first": "two"}),
        (INBOX, {"first": 0}),
        (NODE, {"id": "bm90IGFuIGlk"}),
        (NODE, {"id": "SG91c2Vob2xkOmFiYw=="}),  # Household:abc
        # fields, arguments and documents not planned
        ('{ jurisdiction(code: "230231") { incidence(year: 2016) { percent } } }', {}),
        (
            '{ jurisdiction(code: "230231") { households(first: 2, meetsStandard: {year: 2016})'
            " { edges { node { registryNo } } } } }",
            {},
        ),
        ('{ jurisdiction(code: "230231") { name @include(if: true) } }', {}),
        (
            '{ jurisdiction(code: "230231") { households(first: 2) '
            "{ edges { node { size(year: 3000) } } } } }",
            {},
        ),
        ("{ __schema { queryType { name } } }", {}),
        ("{ nope }", {}),
        ("mutation { nope }", {}),
    ],
)
async def test_what_is_not_planned_is_answered_by_the_general_path(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], query: str, variables: dict[str, Any]
) -> None:
    county = (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6])
    await same(both, query, county, compiled=False, **variables)


async def test_the_public_is_answered_by_the_general_path(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    body = await same(both, PAGE, None, compiled=False, code=HEILONGJIANG_VILLAGE, first=2)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_compiled_read_is_one_statement(
    demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    create_pool = asyncpg.create_pool

    def logged_pool(*args: Any, **kwargs: Any) -> Any:
        async def log(connection: asyncpg.Connection) -> None:
            connection.add_query_logger(lambda query: statements.append(query.query))

        return create_pool(*args, init=log, **kwargs)

    monkeypatch.setattr(asyncpg, "create_pool", logged_pool)
    headers = bearer((Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6]))
    request = {"query": PAGE, "variables": {"code": HEILONGJIANG_VILLAGE, "first": 50}}
    async with own_app(demo_settings) as (_, client):
        await client.post("/graphql", json=request, headers=headers)  # reads the holding
        statements.clear()
        before = compiled_count("read")
        response = await client.post("/graphql", json=request, headers=headers)
    assert compiled_count("read") == before + 1
    assert len(response.json()["data"]["jurisdiction"]["households"]["edges"]) > 3
    assert len(statements) == 1, statements
    assert "json_agg" in statements[0]


@pytest.fixture(scope="module")
async def connection(demo_url: str) -> AsyncIterator[asyncpg.Connection]:
    dsn = make_url(demo_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    yield connection
    await connection.close()


@pytest.mark.parametrize("micro", [0, 1, 500_000, 123_456, 999_999])
async def test_instants_are_written_as_strawberry_writes_them(
    connection: asyncpg.Connection, micro: int
) -> None:
    from datetime import UTC, datetime

    at = datetime(2016, 11, 3, 8, 5, 9, micro, tzinfo=UTC)
    written = await connection.fetchval(f"SELECT {sql.instant('$1::timestamptz')}", at)
    assert written == at.isoformat()


@pytest.mark.parametrize(
    ("net", "size"),
    [
        ("0", 3), ("0.00", 1), ("100.00", 3), ("200.00", 3), ("0.05", 2), ("0.15", 2),
        ("-0.01", 3), ("-0.05", 2), ("-12.35", 2), ("99999999.99", 7), ("1.01", 1), ("3.00", 0),
    ],
)  # fmt: skip
async def test_per_capita_income_is_rounded_as_the_domain_rounds_it(
    connection: asyncpg.Connection, net: str, size: int
) -> None:
    expected = per_capita(Decimal(net), size)
    written = sql.per_capita("$1::numeric", "$2::int")
    got = await connection.fetchval(f"SELECT {written}", Decimal(net), size)
    assert got == (None if expected is None else str(expected))


async def test_cursors_and_ids_agree_with_python(connection: asyncpg.Connection) -> None:
    from strawberry.relay import to_base64

    from api.resolvers.cursors import encode

    for code, ident in (("230231101202", 17), ("371302101", 9_223_372_036_854_775_807)):
        written = await connection.fetchval(
            f"SELECT {sql.cursor('$1::text', '$2::bigint')}", code, ident
        )
        assert written == encode(code, ident)
        gid = await connection.fetchval(f"SELECT {sql.global_id('Household', '$1::bigint')}", ident)
        assert gid == to_base64("Household", ident)


async def test_a_compiled_read_that_fails_is_logged_and_answered_by_the_general_path(
    demo_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    headers = bearer((Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6]))
    request = {"query": PAGE, "variables": {"code": HEILONGJIANG_VILLAGE, "first": 2}}
    async with own_app(demo_settings) as (app, client):
        expected = (await client.post("/graphql", json=request, headers=headers)).json()
        await app.state.compiled.close()  # every statement of it now fails
        before = compiled_count("failed")
        response = await client.post("/graphql", json=request, headers=headers)
    assert response.json() == expected
    assert compiled_count("failed") == before + 1
    assert "a compiled read failed" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        {"query": PAGE, "variables": []},
        {"query": PAGE, "variables": "x"},
        {"query": PAGE, "operationName": 3},
        {"query": PAGE, "operationName": "Other", "variables": {"code": "23", "first": 1}},
        {"query": PAGE, "variables": {"code": "23", "first": 1}, "extensions": {}},
        {"query": 3},
    ],
)
async def test_bodies_the_general_path_refuses_are_left_to_it(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], body: dict[str, Any]
) -> None:
    client, reference = both
    headers = bearer((Role.COUNTY_LEADING_GROUP, "230231"))
    before = compiled_count("read")
    mine = await client.post("/graphql", json=body, headers=headers)
    theirs = await reference.post("/graphql", json=body, headers=headers)
    assert compiled_count("read") == before
    assert (mine.status_code, mine.json()) == (theirs.status_code, theirs.json())
