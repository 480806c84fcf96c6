"""Spot checks over GraphQL: drawn and recorded by township, municipal and provincial
officials, read by inspectors; wrong roles NotPermitted, other units NotFound, nothing
changed on failure; the record re-draws its sample; a failure revokes an exit; Lanshan's
镇抽查 refuses approval without a spot check and passes with one.

These tests commit, so they get a database of their own (the fictional units of
test_procedures_over_http)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.db.session import create_engine
from api.domain import spot_checks as domain
from api.domain.roles import Principal, Role
from api.services import access
from tests.api.conftest import KEY, StoppedClock
from tests.api.test_procedures_over_http import (
    APPLICATION,
    DRAW,
    HLJ_VILLAGE,
    LS_VILLAGE,
    PERFORM,
    RECORD,
    Api,
    _seed,
    drive,
    propose_household,
)
from tests.conftest import Database, fresh_database

HLJ_TOWN, LS_TOWN = HLJ_VILLAGE[:9], LS_VILLAGE[:9]
INSPECTOR = (Role.INSPECTOR, "23")


@pytest.fixture(scope="module")
def spot_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("spot"), "spot") as url:
        yield url


@pytest.fixture(scope="module")
async def api(spot_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    keys = await _seed(spot_database)
    engine = create_engine(spot_database)
    async with AsyncSession(engine) as session, session.begin():
        await access.grant_bootstrap(
            session,
            subject="inspector-1",
            role=Role.INSPECTOR,
            jurisdiction="23",
            now=datetime(2016, 10, 1, tzinfo=UTC),
        )
    await engine.dispose()
    clock = StoppedClock()
    settings = Settings(
        database_url=spot_database,
        state_dir=tmp_path_factory.mktemp("s"),
        dev_signing_key=SecretStr(KEY),
    )
    app = create_app(settings, clock=clock)
    reference_app = create_app(settings, clock=clock, planned=False)
    async with (
        app.router.lifespan_context(app),
        reference_app.router.lifespan_context(reference_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=reference_app), base_url="http://t"
        ) as reference,
    ):
        yield Api(c, clock, keys, spot_database, reference)


def token(role: Role, code: str, n: int = 1) -> str:
    principal = Principal(f"{role}-{n}", role, code)
    return issue_dev_token(principal, key=KEY, ttl=timedelta(hours=1))


SPOT_CHECK = """id subjectKind basis unitCode year method seed size frameSize frameSha256
  frame complete recordSha256 drawnBy drawnRole
  sample { subjectKey rank unitCode applicationId
    finding { result failedCriteria note returnedTo recordedBy evidence { sha256 } } }"""
DRAW_FULL = f"""mutation($input: DrawSpotCheckInput!) {{ drawSpotCheck(input: $input) {{
  __typename ... on SpotCheckSuccess {{ spotCheck {{ {SPOT_CHECK} }} }}
  ... on Error {{ message }} ... on ValidationFailedError {{ path }} }} }}"""
RECORD_FULL = f"""mutation($input: RecordSpotCheckFindingsInput!) {{
  recordSpotCheckFindings(input: $input) {{
  __typename ... on SpotCheckSuccess {{ spotCheck {{ {SPOT_CHECK} }} }}
  ... on Error {{ message }} ... on ValidationFailedError {{ path }} }} }}"""
LIST = f"""query($under: String) {{ spotChecks(under: $under) {{ spotChecks {{ {SPOT_CHECK} }}
  pageInfo {{ hasNextPage endCursor }} }} }}"""
DOCUMENT = {"reference": "入户核查表 2016-12-01", "sha256": hashlib.sha256(b"visit").hexdigest()}


def exited_draw(unit: str, **extra: Any) -> dict[str, Any]:
    return {"subjectKind": "HOUSEHOLD", "unitCode": unit, "year": 2016, "count": 1, **extra}


async def test_spot_checks_of_exited_households_over_http(api: Api) -> None:
    key = api.keys[HLJ_VILLAGE]
    application = await propose_household(api, HLJ_VILLAGE, "23")
    done = await drive(api, application, "23")
    assert done["status"] == "EXITED"

    # Denied first: anonymous, a village role, an inspector; another province's township.
    for who, unit in (
        (None, HLJ_TOWN),
        (token(Role.VILLAGE_COMMITTEES, HLJ_VILLAGE), HLJ_VILLAGE),
        (token(*INSPECTOR), HLJ_TOWN),
    ):
        data = await api.gql(DRAW_FULL, who, input=exited_draw(unit))
        assert data["drawSpotCheck"]["__typename"] == "NotPermittedError", data
    data = await api.gql(
        DRAW_FULL, token(Role.TOWNSHIP_GOVERNMENT, LS_TOWN), input=exited_draw(HLJ_TOWN)
    )
    assert data["drawSpotCheck"]["__typename"] == "NotFoundError"
    data = await api.gql(
        DRAW_FULL,
        token(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN),
        input=exited_draw(HLJ_TOWN, share="0.5"),
    )
    assert data["drawSpotCheck"]["path"] == ["count"]  # a count or a share, not both
    empty = await api.gql(
        "{ spotChecks { spotChecks { id } } }", token(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN)
    )
    assert empty["spotChecks"]["spotChecks"] == []  # nothing was recorded by the failures

    # Allowed: the township, the city and the province each draw within their units.
    drawn = {}
    for role, unit in (
        (Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN),
        (Role.MUNICIPAL_LEADING_GROUP, "2397"),
        (Role.PROVINCIAL_LEADING_GROUP, "23"),
    ):
        data = await api.gql(DRAW_FULL, token(role, unit), input=exited_draw(unit, seed=f"{role}"))
        result = data["drawSpotCheck"]
        assert result["__typename"] == "SpotCheckSuccess", result
        drawn[role] = result["spotCheck"]
    town = drawn[Role.TOWNSHIP_GOVERNMENT]
    assert town["frame"] == [key]
    assert town["sample"][0]["subjectKey"] == key
    assert town["sample"][0]["unitCode"] == HLJ_VILLAGE
    assert town["sample"][0]["finding"] is None
    assert town["complete"] is False

    # Read by the inspector, from the record; anyone re-draws the same sample from it.
    listed = await api.gql(LIST, token(*INSPECTOR), under="23")
    records = listed["spotChecks"]["spotChecks"]
    assert [r["id"] for r in records] == sorted((d["id"] for d in drawn.values()), reverse=True)
    for record in records:
        assert record["frameSha256"] == domain.frame_sha256(record["frame"])
        assert [s["subjectKey"] for s in record["sample"]] == list(
            domain.draw(record["frame"], seed=record["seed"], size=record["size"])
        )
    county = await api.gql(LIST, token(*INSPECTOR), under=HLJ_TOWN[:6])
    assert [r["id"] for r in county["spotChecks"]["spotChecks"]] == [town["id"]]
    lanshan = await api.gql(LIST, token(Role.TOWNSHIP_GOVERNMENT, LS_TOWN))
    assert lanshan["spotChecks"]["spotChecks"] == []
    village = await api.client.post(
        "/graphql",
        json={"query": "{ spotChecks { spotChecks { id } } }"},
        headers={"Authorization": f"Bearer {token(Role.VILLAGE_COMMITTEES, HLJ_VILLAGE)}"},
    )
    assert "may not read spot_checks" in village.json()["errors"][0]["message"]

    # Findings: wrong role, other unit, bad input change nothing.
    failing = {
        "spotCheckId": town["id"],
        "findings": [
            {
                "subjectKey": key,
                "result": "FAILED",
                "failedCriteria": ["income"],
                "note": "工资性收入无凭证",
                "evidence": [DOCUMENT],
            }
        ],
    }
    for who, expected in (
        (token(Role.COUNTY_LEADING_GROUP, HLJ_TOWN[:6]), "NotPermittedError"),
        (token(*INSPECTOR), "NotPermittedError"),
        (token(Role.TOWNSHIP_GOVERNMENT, LS_TOWN), "NotFoundError"),
    ):
        data = await api.gql(RECORD_FULL, who, input=failing)
        assert data["recordSpotCheckFindings"]["__typename"] == expected, data
    bad = {**failing, "findings": [{**failing["findings"][0], "failedCriteria": ["incidence"]}]}
    data = await api.gql(RECORD_FULL, token(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN), input=bad)
    assert data["recordSpotCheckFindings"]["path"] == ["findings", "0", "failedCriteria"]
    unchanged = await api.gql(
        f"query($id: ID!) {{ node(id: $id) {{ ... on ExitApplication {{ {APPLICATION} }} }} }}",
        token(*INSPECTOR),
        id=application["id"],
    )
    assert unchanged["node"]["status"] == "EXITED"

    data = await api.gql(RECORD_FULL, token(Role.TOWNSHIP_GOVERNMENT, HLJ_TOWN), input=failing)
    result = data["recordSpotCheckFindings"]
    assert result["__typename"] == "SpotCheckSuccess", result
    finding = result["spotCheck"]["sample"][0]["finding"]
    assert finding["result"] == "FAILED"
    assert finding["returnedTo"] == "verification"
    assert result["spotCheck"]["complete"] is True

    # The household is back in verification, its exit revoked, all of it on the record.
    back = await api.gql(
        """query($id: ID!) { node(id: $id) { ... on ExitApplication { status
          currentStage { code } history { stage action decision returnTo reason }
          auditTrail { action evidenceHashes }
          household { exitAttribute exitedYear } } } }""",
        token(*INSPECTOR),
        id=application["id"],
    )
    node = back["node"]
    assert (node["status"], node["currentStage"]["code"]) == ("IN_PROGRESS", "verification")
    assert node["household"] == {"exitAttribute": "NOT_EXITED", "exitedYear": None}
    last = node["history"][-1]
    assert (last["action"], last["decision"], last["returnTo"]) == (
        "spot_check",
        "RETURN",
        "verification",
    )
    assert "工资性收入无凭证" in last["reason"]
    assert node["auditTrail"][-1] == {
        "action": "spot_check",
        "evidenceHashes": [DOCUMENT["sha256"]],
    }
    feed = await api.gql(
        '{ changes(kinds: ["exit_revoked"]) { changes { kind subjectKey payload } } }',
        api.token(Role.INTEGRATOR, "23"),
    )
    (change,) = feed["changes"]["changes"]
    assert change["subjectKey"] == key
    assert change["payload"]["spotCheckId"] == town["id"]


async def test_lanshan_town_review_over_http(api: Api) -> None:
    application = await propose_household(api, LS_VILLAGE, "37")
    waiting = await drive(api, application, "37", until="town_spot_check")
    assert waiting["currentStage"]["code"] == "town_spot_check"
    town = token(Role.TOWNSHIP_GOVERNMENT, LS_TOWN)
    approve = {
        "applicationId": application["id"],
        "stage": "town_spot_check",
        "decision": "APPROVE",
    }
    refused = await api.gql(PERFORM, town, input=approve)
    assert refused["performStage"]["__typename"] == "InvalidTransitionError"
    assert "needs a spot check" in refused["performStage"]["message"]

    drawn = await api.gql(
        DRAW,
        town,
        input={
            "subjectKind": "HOUSEHOLD",
            "basis": "AWAITING_REVIEW",
            "unitCode": LS_VILLAGE,
            "year": 2016,
            "share": "0.3",
        },
    )
    spot_check = drawn["drawSpotCheck"]["spotCheck"]
    assert [s["subjectKey"] for s in spot_check["sample"]] == [api.keys[LS_VILLAGE]]
    await api.gql(
        RECORD,
        town,
        input={
            "spotCheckId": spot_check["id"],
            "findings": [
                {"subjectKey": api.keys[LS_VILLAGE], "result": "PASSED", "evidence": [DOCUMENT]}
            ],
        },
    )
    passed = await api.gql(PERFORM, town, input=approve)
    result = passed["performStage"]
    assert result["__typename"] == "ApplicationSuccess", result
    assert result["application"]["currentStage"]["code"] == "announcement"
    assert "SPOT_CHECK_RECORD" in [e["kind"] for e in result["application"]["evidence"]]
