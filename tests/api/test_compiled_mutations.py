"""Planned mutations (api/compiled/mutations.py) answer as the general path does.

A planned mutation calls the same resolver the general path calls and writes its payload
as planned. What changes nothing (every error) is asked of both apps and must be equal;
what changes something is asked of the compiled app, and its payload must equal the
application as the general path reads it afterwards. The counters show which path
answered. PostgreSQL only, as compiled reads (failing under CI=true without a server).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.compiled import plans
from api.config import Settings
from api.db.models import RoleAssignment
from api.db.session import create_engine
from api.demo.tokens import HEILONGJIANG_VILLAGE, LANSHAN_TOWN, dev_subject
from api.domain.roles import Role
from api.services import exits
from tests.api.conftest import demo_loaded, own_postgres_database, serving_both
from tests.api.test_compiled_reads import bearer, compiled_count

PAYLOAD = """__typename
  ... on ApplicationSuccess { application { __typename id subjectKind subjectKey unitCode
    year status designation noticeStartedAt noticeEndsAt createdAt updatedAt procedure
    current: currentStage { __typename code zh en noticeDays requiredEvidence }
    stages { code } } }
  ... on Error { message code }
  ... on NotFoundError { kind key }
  ... on ValidationFailedError { path }
  ... on StandardNotMetError { criteria { criterion detail } }
  ... on NoticePeriodNotElapsedError { endsAt }"""

PERFORM = (
    """mutation Perform($input: PerformStageInput!, $key: String) {
  done: performStage(input: $input, idempotencyKey: $key) { ...P } }
fragment P on ApplicationPayload { """
    + PAYLOAD
    + " }"
)

POST_NOTICE = (
    """mutation Post($input: PostNoticeInput!) { postNotice(input: $input) { """ + PAYLOAD + " } }"
)

ACKNOWLEDGE = (
    """mutation Ack($input: RecordAcknowledgmentInput!) {
  recordAcknowledgment(input: $input) { """
    + PAYLOAD
    + " } }"
)

NODE = """query Node($id: ID!) { node(id: $id) { ... on ExitApplication { __typename id
  subjectKind subjectKey unitCode year status designation noticeStartedAt noticeEndsAt
  createdAt updatedAt procedure current: currentStage { __typename code zh en noticeDays
  requiredEvidence } stages { code } } } }"""

INBOX = """{ viewer { inbox(first: 50) { id status currentStage { code requiredEvidence } } } }"""

TEAM = (Role.RESIDENT_WORK_TEAM, HEILONGJIANG_VILLAGE)
COUNTY = (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6])
TOWN = (Role.TOWNSHIP_GOVERNMENT, HEILONGJIANG_VILLAGE[:9])
CITY = (Role.MUNICIPAL_LEADING_GROUP, HEILONGJIANG_VILLAGE[:4])
LANSHAN = (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)
"""A town in another province: every Heilongjiang application is outside it."""
MISSING = "RXhpdEFwcGxpY2F0aW9uOjk5OTk5OQ=="
"""ExitApplication:999999, which nobody has."""


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with own_postgres_database(tmp_path_factory, "mutations") as url:
        yield url


@pytest.fixture(scope="module")
async def demo_settings(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await demo_loaded(demo_url, tmp_path_factory)


@pytest.fixture(scope="module")
async def both(
    demo_settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with serving_both(demo_settings) as pair:
        yield pair


def taken() -> tuple[float, float]:
    return compiled_count("mutation"), compiled_count("general")


async def post(
    client: httpx.AsyncClient, query: str, holder: tuple[Role, str] | None, **variables: Any
) -> dict[str, Any]:
    headers = {} if holder is None else bearer(holder)
    answer = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def same(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    query: str,
    holder: tuple[Role, str] | None,
    *,
    compiled: bool = True,
    **variables: Any,
) -> dict[str, Any]:
    """A request that changes nothing, asked of both apps: equal answers, the compiled
    app's taken by the path ``compiled`` names."""
    client, reference = both
    before = taken()
    mine = await post(client, query, holder, **variables)
    after = taken()
    theirs = await post(reference, query, holder, **variables)
    assert mine == theirs
    assert (after[0] - before[0], after[1] - before[1]) == ((1, 0) if compiled else (0, 1))
    return mine


async def waiting(client: httpx.AsyncClient, holder: tuple[Role, str]) -> list[dict[str, Any]]:
    inbox = await post(client, INBOX, holder)
    items: list[dict[str, Any]] = inbox["data"]["viewer"]["inbox"]
    return [item for item in items if item["status"] == "IN_PROGRESS"]


async def first_waiting(
    client: httpx.AsyncClient, holder: tuple[Role, str], stage: str
) -> dict[str, Any]:
    """The demo's first application waiting on ``holder`` at ``stage`` (each test takes
    its own holder's, so the tests run in any order)."""
    found = [i for i in await waiting(client, holder) if i["currentStage"]["code"] == stage]
    assert found, f"the demo has an application waiting on {holder} at {stage}"
    return found[0]


def evidence(kinds: list[str]) -> list[dict[str, str]]:
    return [{"kind": k, "reference": f"demo/{k.lower()}.pdf", "sha256": "ab" * 32} for k in kinds]


async def test_an_approval_answers_with_the_application_as_read_afterwards(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    client, reference = both
    item = await first_waiting(reference, TEAM, "verification")
    stage = item["currentStage"]
    before = taken()
    answer = await post(
        client,
        PERFORM,
        TEAM,
        input={
            "applicationId": item["id"],
            "stage": stage["code"],
            "decision": "APPROVE",
            "evidence": evidence(stage["requiredEvidence"]),
        },
    )
    after = taken()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 0)
    done = answer["data"]["done"]
    assert done["__typename"] == "ApplicationSuccess", done
    read = await post(reference, NODE, TEAM, id=item["id"])
    assert done["application"] == read["data"]["node"]
    assert done["application"]["current"]["code"] != stage["code"]


async def test_a_retried_key_answers_the_first_result_and_changes_nothing(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    client, reference = both
    item = await first_waiting(reference, COUNTY, "announcement")
    request = {
        "applicationId": item["id"],
        "stage": "announcement",
        "decision": "APPROVE",
        "evidence": evidence(item["currentStage"]["requiredEvidence"]),
    }
    first = await post(client, PERFORM, COUNTY, input=request, key="compiled-retry")
    again = await post(client, PERFORM, COUNTY, input=request, key="compiled-retry")
    assert first["data"]["done"]["__typename"] == "ApplicationSuccess", first
    assert first["data"]["done"]["application"]["status"] == "EXITED"
    assert again == first
    # The general path, given the same key, answers the same first result.
    same_key = await post(reference, PERFORM, COUNTY, input=request, key="compiled-retry")
    assert same_key == first
    # Without the key, the stage is done already: refused alike on both paths.
    await same(both, PERFORM, COUNTY, input=request)


async def test_a_stage_is_performed_by_its_role_in_its_jurisdiction_only(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    client, reference = both
    item = await first_waiting(reference, TOWN, "township_notice")
    request = {
        "applicationId": item["id"],
        "stage": "township_notice",
        "evidence": evidence(item["currentStage"]["requiredEvidence"]),
    }
    wrong_role = await same(both, POST_NOTICE, TEAM, input=request)
    assert wrong_role["data"]["postNotice"]["code"] in ("NOT_FOUND", "NOT_PERMITTED")
    outside = await same(both, POST_NOTICE, LANSHAN, input=request)
    assert outside["data"]["postNotice"]["code"] in ("NOT_FOUND", "NOT_PERMITTED")
    before = taken()
    allowed = await post(client, POST_NOTICE, TOWN, input=request)
    assert taken()[0] == before[0] + 1
    assert allowed["data"]["postNotice"]["__typename"] == "ApplicationSuccess", allowed
    read = await post(reference, NODE, TOWN, id=item["id"])
    assert allowed["data"]["postNotice"]["application"] == read["data"]["node"]


async def test_errors_of_every_kind_are_the_general_paths(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _, reference = both
    item = await first_waiting(reference, CITY, "municipal_review")
    base = {"applicationId": item["id"], "stage": "municipal_review", "decision": "APPROVE"}
    # The stage's evidence missing, a stage it does not wait at, an unknown stage.
    missing_evidence = await same(both, PERFORM, CITY, input=base)
    assert missing_evidence["data"]["done"]["__typename"] != "ApplicationSuccess"
    await same(both, PERFORM, CITY, input={**base, "stage": "verification"})
    await same(both, PERFORM, CITY, input={**base, "stage": "no_such_stage"})
    # A global id of another type, and of an application nobody has.
    household = "SG91c2Vob2xkOjE="  # Household:1
    invalid = await same(both, PERFORM, CITY, input={**base, "applicationId": household})
    assert invalid["data"]["done"]["path"] == ["applicationId"]
    missing = await same(both, PERFORM, CITY, input={**base, "applicationId": MISSING})
    assert missing["data"]["done"]["code"] == "NOT_FOUND"
    # An acknowledgment of the wrong kind of evidence.
    ack = {"applicationId": item["id"], "evidence": evidence(["VERIFICATION_RECORD"])[0]}
    await same(both, ACKNOWLEDGE, CITY, input=ack)


async def test_what_is_not_planned_takes_the_general_path(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    base = {"applicationId": MISSING, "stage": "no_such_stage", "decision": "APPROVE"}
    # A field with a resolver not planned in a payload (the household), a directive,
    # two root fields, variables that do not coerce, and no token at all.
    household = """mutation($input: PerformStageInput!) { performStage(input: $input) {
      ... on ApplicationSuccess { application { household { headName } } }
      ... on Error { message } } }"""
    await same(both, household, TEAM, compiled=False, input=base)
    directive = """mutation($input: PerformStageInput!, $no: Boolean!) {
      performStage(input: $input) { ... on Error @skip(if: $no) { message } } }"""
    await same(both, directive, TEAM, compiled=False, input=base, no=False)
    twice = """mutation($input: PerformStageInput!) {
      a: performStage(input: $input) { __typename } b: performStage(input: $input) {
      __typename } }"""
    await same(both, twice, TEAM, compiled=False, input=base)
    await same(both, PERFORM, TEAM, compiled=False, input={**base, "decision": "MAYBE"})
    await same(both, PERFORM, None, compiled=False, input=base)
    # The root's __typename beside the field, and the field inside a root fragment.
    typename = """mutation($input: PerformStageInput!) { __typename
      performStage(input: $input) { __typename } }"""
    await same(both, typename, TEAM, compiled=False, input=base)
    fragment = """mutation($input: PerformStageInput!) { ...M }
      fragment M on Mutation { performStage(input: $input) { __typename } }"""
    await same(both, fragment, TEAM, compiled=False, input=base)


async def test_a_document_the_planner_fails_on_is_the_general_paths_every_time(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a planner bug")

    monkeypatch.setattr(plans, "MutationPlan", broken)
    base = {"applicationId": MISSING, "stage": "x", "decision": "APPROVE"}
    query = PERFORM.replace("mutation Perform(", "mutation PlannerBug(")  # a new document
    for _ in range(2):
        answer = await same(both, query, TEAM, compiled=False, input=base)
        assert answer["data"]["done"]["code"] == "NOT_FOUND"
    assert sum("planning failed" in r.getMessage() for r in caplog.records) == 1


async def test_an_unrecorded_holding_is_the_public_on_both_paths(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    nobody = (Role.RESIDENT_WORK_TEAM, HEILONGJIANG_VILLAGE[:-1] + "9")
    base = {"applicationId": MISSING, "stage": "x", "decision": "APPROVE"}
    refused = await same(both, PERFORM, nobody, input=base)
    assert refused["data"]["done"]["code"] == "UNAUTHENTICATED"


async def test_a_holding_revoked_after_it_was_loaded_is_refused_on_the_planned_path(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_url: str
) -> None:
    """Revoked by the county through revokeRole in the compiled app's own process: its
    next planned mutation finds the holding gone (the general path's context check)."""
    client, _ = both
    secretary = (Role.FIRST_SECRETARY, HEILONGJIANG_VILLAGE)
    base = {"applicationId": MISSING, "stage": "x", "decision": "APPROVE"}
    held = await same(both, PERFORM, secretary, input=base)
    assert held["data"]["done"]["code"] == "NOT_FOUND"  # signed in: its holding counts
    engine = create_engine(demo_url)
    try:
        async with AsyncSession(engine) as session:
            assignment = await session.scalar(
                select(RoleAssignment.id).where(
                    RoleAssignment.subject == dev_subject(*secretary),
                    RoleAssignment.revoked_at.is_(None),
                )
            )
    finally:
        await engine.dispose()
    revoked = await post(
        client,
        "mutation($id: Int!) { revokeRole(input: {assignmentId: $id}) { __typename } }",
        COUNTY,
        id=assignment,
    )
    assert revoked["data"]["revokeRole"]["__typename"] == "RoleAssignmentSuccess", revoked
    refused = await same(both, PERFORM, secretary, input=base)
    assert refused["data"]["done"]["code"] == "UNAUTHENTICATED"


async def test_an_unexpected_exception_is_masked_and_logged_as_on_the_general_path(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug, not the caller's business")

    monkeypatch.setattr(exits, "perform", broken)
    base = {"applicationId": MISSING, "stage": "x", "decision": "APPROVE"}
    answer = await same(both, PERFORM, TEAM, input=base)
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL"}
    assert error["path"] == ["done"]
    assert "a bug" not in str(answer)
    assert sum("a bug, not the caller" in str(r.exc_info) for r in caplog.records) == 2
