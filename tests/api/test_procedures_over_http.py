"""Every seed procedure driven to its end over HTTP with the right roles' tokens, and each
wrong-role, wrong-jurisdiction and anonymous attempt answered with its typed error.

These tests commit, so they get a database of their own (fictional units inside
Heilongjiang and Lanshan, so the seeds' procedures govern them)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.db.session import create_engine
from api.domain.register import CountyDesignation, IncomeKind, RegionClass, StandardKind
from api.domain.roles import Principal, Role
from api.services import access
from tests import factories as f
from tests.api.conftest import KEY, StoppedClock, answer, own_settings, serving_both
from tests.conftest import Database, fresh_database

HLJ_VILLAGE = "239701001001"
HLJ_COUNTY = "239701"
LS_VILLAGE = "371302199001"


@pytest.fixture(scope="module")
def own_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("http"), "http") as url:
        yield url


async def _seed(url: str) -> dict[str, str]:
    """Fictional subjects that meet their standards, and every official's holding."""
    engine = create_engine(url)
    keys: dict[str, str] = {}
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            now = datetime(2016, 10, 1, tzinfo=UTC)
            session.add(
                models.PovertyStandard(
                    applies_to="",
                    year=2016,
                    kind=StandardKind.NATIONAL,
                    amount=Decimal("2952"),
                    source="test",
                )
            )
            await f.units(session, HLJ_VILLAGE, LS_VILLAGE)
            for village in (HLJ_VILLAGE, LS_VILLAGE):
                session.add(
                    models.VillageDesignationRow(
                        village_code=village,
                        designation="poor_village",
                        designated_year=2014,
                        exited_on=None,
                    )
                )
                household = await f.household(session, village)
                await f.member(session, household)
                await f.income(session, household, 2016, IncomeKind.WAGE, "4000")
                await f.assessment(session, household, 2016)
                await f.indicators(session, village, 2016, rural=100)
                keys[village] = household.registry_no
            session.add(
                models.CountyDesignationRow(
                    county_code=HLJ_COUNTY,
                    designation=CountyDesignation.NATIONAL,
                    region_class=RegionClass.GENERAL,
                    designated_year=2012,
                    exited_on=None,
                )
            )
            for role, code in HOLDINGS:
                for n in (1, 2):
                    await access.grant_bootstrap(
                        session, subject=f"{role}-{n}", role=role, jurisdiction=code, now=now
                    )
    finally:
        await engine.dispose()
    return keys


HOLDINGS = [
    (Role.VILLAGE_COMMITTEES, HLJ_VILLAGE),
    (Role.RESIDENT_WORK_TEAM, HLJ_VILLAGE),
    (Role.TOWNSHIP_GOVERNMENT, HLJ_VILLAGE[:9]),
    (Role.COUNTY_LEADING_GROUP, HLJ_COUNTY),
    (Role.MUNICIPAL_LEADING_GROUP, "2397"),
    (Role.PROVINCIAL_LEADING_GROUP, "23"),
    (Role.PROVINCIAL_GOVERNMENT, "23"),
    (Role.STATE_COUNCIL_LEADING_GROUP, ""),
    (Role.VILLAGE_COMMITTEES, LS_VILLAGE),
    (Role.RESIDENT_WORK_TEAM, LS_VILLAGE),
    (Role.TOWNSHIP_GOVERNMENT, LS_VILLAGE[:9]),
    (Role.COUNTY_LEADING_GROUP, "371302"),
    (Role.THIRD_PARTY_EVALUATOR, "371302"),
    (Role.THIRD_PARTY_EVALUATOR, "23"),
    (Role.INTEGRATOR, "23"),
    (Role.INTEGRATOR, "37"),
    (Role.INSPECTOR, "23"),
    (Role.INSPECTOR, "37"),
]
HOLDING_OF = {(role, code[:2] if code else ""): code for role, code in HOLDINGS}


class Api:
    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: StoppedClock,
        keys: dict[str, str],
        database_url: str,
        reference: httpx.AsyncClient,
    ) -> None:
        self.client, self.clock, self.keys = client, clock, keys
        self.database_url = database_url
        self.reference = reference

    def token(self, role: Role, province: str, n: int = 1) -> str:
        code = HOLDING_OF[(role, province if role is not Role.STATE_COUNCIL_LEADING_GROUP else "")]
        principal = Principal(f"{role}-{n}", role, code)
        from api.auth.tokens import issue_dev_token

        return issue_dev_token(principal, key=KEY, ttl=timedelta(hours=1))

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = await answer(self.client, self.reference, query, variables, headers)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture(scope="module")
async def api(own_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    keys = await _seed(own_database)
    clock = StoppedClock()
    settings = own_settings(own_database, tmp_path_factory)
    async with serving_both(settings, clock=clock) as (client, reference):
        yield Api(client, clock, keys, own_database, reference)


def ev(*kinds: str) -> list[dict[str, str]]:
    return [
        {
            "kind": k.upper(),
            "reference": f"doc/{k}.pdf",
            "sha256": hashlib.sha256(k.encode()).hexdigest(),
        }
        for k in kinds
    ]


APPLICATION = """id status nextStep { stage { code requiredEvidence } action roles notBefore }
  currentStage { code } stages { code } procedure evidence { kind }
  history { stage action decision actor }"""
ERRORS = """... on Error { __typename message }
  ... on NoticePeriodNotElapsedError { endsAt }
  ... on StandardNotMetError { criteria { criterion detail } }
  ... on ValidationFailedError { path }"""
PROPOSE = f"""mutation($input: ProposeExitListInput!) {{ proposeExitList(input: $input) {{
  __typename ... on ProposeExitListSuccess {{ list {{ applications {{ {APPLICATION} }} }} }}
  {ERRORS} }} }}"""
PERFORM = f"""mutation($input: PerformStageInput!) {{ performStage(input: $input) {{
  __typename ... on ApplicationSuccess {{ application {{ {APPLICATION} }} }} {ERRORS} }} }}"""
POST = f"""mutation($input: PostNoticeInput!) {{ postNotice(input: $input) {{
  __typename ... on ApplicationSuccess {{ application {{ {APPLICATION} }} }} {ERRORS} }} }}"""
MEMBERS = """query($code: String!) { jurisdiction(code: $code) { households(first: 5) {
  edges { node { exitAttribute phone members { idNumber } } } } } }"""
EVIDENCE = {
    "verification": ["verification_record", "household_acknowledgment"],
    "announcement_hlj_village": ["filing_receipt"],
}


def other_than(application: dict[str, Any], role: Role) -> int:
    """The official (1 or 2) of ``role`` who did not approve the previous stage."""
    order = [s["code"] for s in application["stages"]]
    index = order.index(application["nextStep"]["stage"]["code"])
    if index == 0:
        return 1
    approvals = [
        h["actor"]
        for h in application["history"]
        if h["stage"] == order[index - 1] and h["decision"] == "APPROVE"
    ]
    return 2 if approvals and approvals[-1] == f"{role}-1" else 1


async def evaluate(api: Api, application_id: str, assigner: str, province: str, n: int) -> None:
    evaluator = f"{Role.THIRD_PARTY_EVALUATOR}-{n}"
    assigned = await api.gql(
        """mutation($input: AssignEvaluatorInput!) { assignEvaluator(input: $input) {
        __typename ... on Error { message } } }""",
        assigner,
        input={"applicationId": application_id, "evaluator": evaluator},
    )
    assert assigned["assignEvaluator"]["__typename"] == "ApplicationSuccess", assigned
    report = await api.gql(
        """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
        __typename ... on Error { message } } }""",
        api.token(Role.THIRD_PARTY_EVALUATOR, province, n),
        input={"applicationId": application_id, "report": ev("evaluation_report")[0]},
    )
    assert report["submitEvaluation"]["__typename"] == "ApplicationSuccess", report


DRAW = """mutation($input: DrawSpotCheckInput!) { drawSpotCheck(input: $input) {
  __typename ... on SpotCheckSuccess { spotCheck { id sample { subjectKey } } }
  ... on Error { message } } }"""
RECORD = """mutation($input: RecordSpotCheckFindingsInput!) {
  recordSpotCheckFindings(input: $input) {
  __typename ... on SpotCheckSuccess { spotCheck { complete } } ... on Error { message } } }"""


async def spot_check(api: Api, application: dict[str, Any], token: str) -> None:
    """The town draws from the applications waiting for its review and finds them sound."""
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on ExitApplication { unitCode year } } }",
        token,
        id=application["id"],
    )
    drawn = await api.gql(
        DRAW,
        token,
        input={
            "subjectKind": "HOUSEHOLD",
            "basis": "AWAITING_REVIEW",
            "unitCode": node["node"]["unitCode"],
            "year": node["node"]["year"],
            "count": 1,
        },
    )
    made = drawn["drawSpotCheck"]["spotCheck"]
    document = {"reference": "入户核查表", "sha256": hashlib.sha256(b"check").hexdigest()}
    recorded = await api.gql(
        RECORD,
        token,
        input={
            "spotCheckId": made["id"],
            "findings": [
                {"subjectKey": s["subjectKey"], "result": "PASSED", "evidence": [document]}
                for s in made["sample"]
            ],
        },
    )
    assert recorded["recordSpotCheckFindings"]["spotCheck"]["complete"] is True, recorded


async def propose_household(api: Api, village: str, province: str) -> dict[str, Any]:
    """The village committee proposes the village's seeded household; its application."""
    proposed = await api.gql(
        PROPOSE,
        api.token(Role.VILLAGE_COMMITTEES, province),
        input={
            "subjectKind": "HOUSEHOLD",
            "unitCode": village,
            "year": 2016,
            "subjects": [api.keys[village]],
            "evidence": ev("assembly_minutes"),
        },
    )
    application: dict[str, Any] = proposed["proposeExitList"]["list"]["applications"][0]
    return application


async def drive(
    api: Api, application: dict[str, Any], province: str, *, until: str | None = None
) -> dict[str, Any]:
    """Follow nextStep to the end (or to stage ``until``), alternating officials so no one
    does two stages running."""
    evaluations = 0
    while application["nextStep"] is not None:
        step = application["nextStep"]
        role = Role(step["roles"][0].lower())
        stage = step["stage"]["code"]
        if stage == until:
            break
        token = api.token(role, province, other_than(application, role))
        if step["action"] == "POST_NOTICE":
            data = await api.gql(
                POST,
                token,
                input={
                    "applicationId": application["id"],
                    "stage": stage,
                    "evidence": ev("notice_posting"),
                },
            )
            application = data["postNotice"]["application"]
            ends = datetime.fromisoformat(application["nextStep"]["notBefore"])
            api.clock.now = ends
            continue
        needed = [
            k.lower()
            for k in step["stage"]["requiredEvidence"]
            if not (k == "NOTICE_POSTING" and step["notBefore"])
        ]
        if "spot_check_record" in needed:  # cited from a recorded spot check
            needed.remove("spot_check_record")
            await spot_check(api, application, token)
        if "evaluation_report" in needed:  # an assigned evaluator supplies it
            needed.remove("evaluation_report")
            evaluations += 1
            await evaluate(api, application["id"], token, province, evaluations)
        data = await api.gql(
            PERFORM,
            token,
            input={
                "applicationId": application["id"],
                "stage": stage,
                "decision": "APPROVE",
                "evidence": ev(*needed),
            },
        )
        result = data["performStage"]
        assert result["__typename"] == "ApplicationSuccess", result
        application = result["application"]
        api.clock.now += timedelta(hours=1)
    return application


async def test_heilongjiang_household_over_http(api: Api) -> None:
    propose = {
        "subjectKind": "HOUSEHOLD",
        "unitCode": HLJ_VILLAGE,
        "year": 2016,
        "subjects": [api.keys[HLJ_VILLAGE]],
        "evidence": ev("assembly_minutes"),
    }
    anonymous = await api.gql(PROPOSE, None, input=propose)
    assert anonymous["proposeExitList"]["__typename"] == "NotPermittedError"
    lanshan = await api.gql(PROPOSE, api.token(Role.VILLAGE_COMMITTEES, "37"), input=propose)
    assert lanshan["proposeExitList"]["__typename"] == "NotFoundError"
    team = await api.gql(PROPOSE, api.token(Role.RESIDENT_WORK_TEAM, "23"), input=propose)
    assert team["proposeExitList"]["__typename"] == "NotPermittedError"
    data = await api.gql(PROPOSE, api.token(Role.VILLAGE_COMMITTEES, "23"), input=propose)
    (application,) = data["proposeExitList"]["list"]["applications"]
    assert application["procedure"] == "heilongjiang v2"

    inbox = await api.gql(
        "{ viewer { inbox { id nextStep { action } household { registryNo } } } }",
        api.token(Role.RESIDENT_WORK_TEAM, "23"),
    )
    waiting = {a["id"]: a for a in inbox["viewer"]["inbox"]}
    assert waiting[application["id"]]["household"] == {"registryNo": api.keys[HLJ_VILLAGE]}
    wrong = await api.gql(
        PERFORM,
        api.token(Role.TOWNSHIP_GOVERNMENT, "23"),
        input={
            "applicationId": application["id"],
            "stage": "verification",
            "decision": "APPROVE",
            "evidence": ev(*EVIDENCE["verification"]),
        },
    )
    assert wrong["performStage"]["__typename"] == "NotPermittedError"
    elsewhere = await api.gql(
        PERFORM,
        api.token(Role.RESIDENT_WORK_TEAM, "37"),
        input={
            "applicationId": application["id"],
            "stage": "verification",
            "decision": "APPROVE",
            "evidence": ev(*EVIDENCE["verification"]),
        },
    )
    assert elsewhere["performStage"]["__typename"] == "NotFoundError"
    nobody = await api.gql(
        PERFORM,
        None,
        input={"applicationId": application["id"], "stage": "verification", "decision": "APPROVE"},
    )
    assert nobody["performStage"]["__typename"] == "NotPermittedError"

    done = await drive(api, application, "23")
    assert done["status"] == "EXITED"
    household = await api.gql(MEMBERS, api.token(Role.TOWNSHIP_GOVERNMENT, "23"), code=HLJ_VILLAGE)
    node = household["jurisdiction"]["households"]["edges"][0]["node"]
    assert node["exitAttribute"] == "EXITED_SUPPORTED"
    assert "*" not in node["members"][0]["idNumber"]  # the township sees it in full
    village_view = await api.gql(
        MEMBERS, api.token(Role.VILLAGE_COMMITTEES, "23"), code=HLJ_VILLAGE
    )
    masked = village_view["jurisdiction"]["households"]["edges"][0]["node"]["members"][0]
    assert "********" in masked["idNumber"]


async def test_notice_objection_and_errors_over_http(api: Api) -> None:
    propose = {
        "subjectKind": "HOUSEHOLD",
        "unitCode": LS_VILLAGE,
        "year": 2016,
        "subjects": [api.keys[LS_VILLAGE]],
        "evidence": ev("assembly_minutes"),
    }
    data = await api.gql(PROPOSE, api.token(Role.VILLAGE_COMMITTEES, "37"), input=propose)
    (application,) = data["proposeExitList"]["list"]["applications"]
    again = await api.gql(PROPOSE, api.token(Role.VILLAGE_COMMITTEES, "37", 2), input=propose)
    assert again["proposeExitList"]["__typename"] == "InvalidTransitionError"
    data = await api.gql(
        PERFORM,
        api.token(Role.RESIDENT_WORK_TEAM, "37"),
        input={
            "applicationId": application["id"],
            "stage": "verification",
            "decision": "APPROVE",
            "evidence": ev("verification_record"),
        },
    )
    assert data["performStage"]["path"] == ["evidence"]
    data = await api.gql(
        PERFORM,
        api.token(Role.RESIDENT_WORK_TEAM, "37"),
        input={
            "applicationId": application["id"],
            "stage": "verification",
            "decision": "APPROVE",
            "evidence": ev(*EVIDENCE["verification"]),
        },
    )
    data = await api.gql(
        POST,
        api.token(Role.VILLAGE_COMMITTEES, "37", 2),
        input={
            "applicationId": application["id"],
            "stage": "village_notice",
            "evidence": ev("notice_posting"),
        },
    )
    early = await api.gql(
        PERFORM,
        api.token(Role.VILLAGE_COMMITTEES, "37", 2),
        input={
            "applicationId": application["id"],
            "stage": "village_notice",
            "decision": "APPROVE",
        },
    )
    assert early["performStage"]["__typename"] == "NoticePeriodNotElapsedError"
    assert early["performStage"]["endsAt"] == (api.clock.now + timedelta(days=7)).isoformat()
    board = await api.gql(
        """{ postedNotices(under: "371302") { notices { applicationId subjectKind headName
        villagerGroup stage endsAt unit { name } } pageInfo { hasNextPage } } }"""
    )
    (notice,) = board["postedNotices"]["notices"]
    assert notice["applicationId"] == application["id"]
    assert notice["headName"].startswith("测试户")
    assert notice["stage"] == "village_notice"
    assert "idNumber" not in notice
    elsewhere = await api.gql('{ postedNotices(under: "23") { notices { stage } } }')
    assert elsewhere["postedNotices"]["notices"] == []
    objection = await api.gql(
        """mutation($input: RaiseObjectionInput!) { raiseObjection(input: $input) {
        __typename ... on ObjectionSuccess { objection { id } } } }""",
        None,
        input={"applicationId": application["id"], "content": "收入未如实登记"},
    )
    objection_id = objection["raiseObjection"]["objection"]["id"]
    resolved = await api.gql(
        """mutation($input: ResolveObjectionInput!) { resolveObjection(input: $input) {
        __typename ... on ObjectionSuccess { objection { outcome } } } }""",
        api.token(Role.RESIDENT_WORK_TEAM, "37", 2),
        input={"objectionId": objection_id, "upheld": False, "resolution": "经核实属实"},
    )
    assert resolved["resolveObjection"]["objection"]["outcome"] == "dismissed"
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on ExitApplication { "
        "currentStage { code } objections { outcome } } } }",
        api.token(Role.TOWNSHIP_GOVERNMENT, "37"),
        id=application["id"],
    )
    assert node["node"]["currentStage"]["code"] == "verification"
    hidden = await api.gql(
        "query($id: ID!) { node(id: $id) { id } }",
        api.token(Role.TOWNSHIP_GOVERNMENT, "23"),
        id=application["id"],
    )
    assert hidden["node"] is None
    current = await api.gql(
        f"query($id: ID!) {{ node(id: $id) {{ ... on ExitApplication {{ {APPLICATION} }} }} }}",
        api.token(Role.TOWNSHIP_GOVERNMENT, "37"),
        id=application["id"],
    )
    done = await drive(api, current["node"], "37")
    assert done["status"] == "EXITED"


async def test_villages_and_a_county_over_http(api: Api) -> None:
    hlj = await api.gql(
        PROPOSE,
        api.token(Role.COUNTY_LEADING_GROUP, "23"),
        input={
            "subjectKind": "VILLAGE",
            "unitCode": HLJ_COUNTY,
            "year": 2016,
            "subjects": [HLJ_VILLAGE],
            "evidence": ev("investigation_report"),
        },
    )
    (village,) = hlj["proposeExitList"]["list"]["applications"]
    done = await drive(api, village, "23")
    assert done["status"] == "EXITED"

    county = await api.gql(
        PROPOSE,
        api.token(Role.COUNTY_LEADING_GROUP, "23"),
        input={
            "subjectKind": "COUNTY",
            "unitCode": HLJ_COUNTY,
            "year": 2016,
            "subjects": [HLJ_COUNTY],
            "evidence": ev("application_document"),
        },
    )
    (application,) = county["proposeExitList"]["list"]["applications"]
    done = await drive(api, application, "23")
    assert done["status"] == "EXITED"
    inspection = [h for h in done["history"] if h["stage"] == "evaluation_inspection"]
    assert [h["action"] for h in inspection] == ["evaluation", "perform"]
    assert inspection[0]["actor"].startswith("third_party_evaluator")
    assert inspection[1]["actor"].startswith("state_council_leading_group")
    trail = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on ExitApplication { auditTrail { action "
        "actor actorRole evidenceHashes detail } } } }",
        api.token(Role.PROVINCIAL_LEADING_GROUP, "23"),
        id=application["id"],
    )
    events = trail["node"]["auditTrail"]
    assert [e["action"] for e in events].count("perform") == 7
    assert [e["action"] for e in events].count("evaluation") == 2
    assert all(len(h) == 64 for e in events for h in e["evidenceHashes"])
    assert events[-1]["detail"]["status"] == "exited"

    lanshan = await api.gql(
        PROPOSE,
        api.token(Role.TOWNSHIP_GOVERNMENT, "37"),
        input={
            "subjectKind": "VILLAGE",
            "unitCode": LS_VILLAGE[:9],
            "year": 2016,
            "subjects": [LS_VILLAGE],
            "evidence": ev("investigation_report"),
        },
    )
    (village,) = lanshan["proposeExitList"]["list"]["applications"]
    done = await drive(api, village, "37")
    assert done["status"] == "EXITED"


APPLICATIONS = """query($first: Int!, $after: String, $filter: ApplicationFilterInput,
  $order: ApplicationOrder!) { applications(first: $first, after: $after, filter: $filter,
  order: $order) { totalCount edges { cursor node { id status subjectKind unitCode } }
  pageInfo { hasNextPage endCursor } } }"""


@pytest.mark.parametrize("order", ["CREATED", "LEAST_RECENTLY_UPDATED"])
async def test_applications_page_by_keyset_with_filters(api: Api, order: str) -> None:
    """Runs after the walks above, which left exited applications in both provinces."""
    province = api.token(Role.PROVINCIAL_LEADING_GROUP, "23")
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(
            APPLICATIONS, province, first=1, after=after, order=order, filter={"status": ["EXITED"]}
        )
        page = data["applications"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert all(e["node"]["unitCode"].startswith("23") for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] >= 3
    villages = await api.gql(
        APPLICATIONS,
        province,
        first=10,
        order=order,
        filter={"subjectKind": "VILLAGE", "under": HLJ_COUNTY},
    )
    assert villages["applications"]["totalCount"] == 1
    lanshan = await api.gql(
        APPLICATIONS, api.token(Role.COUNTY_LEADING_GROUP, "37"), first=10, order=order, filter=None
    )
    assert {e["node"]["unitCode"][:6] for e in lanshan["applications"]["edges"]} == {"371302"}
    public = await answer(
        api.client, api.reference, APPLICATIONS, {"first": 10, "order": order, "filter": None}, {}
    )
    assert public["data"] == {"applications": None}
    assert [e["extensions"]["code"] for e in public["errors"]] == ["UNAUTHENTICATED"]


async def test_integrators_pull_changes_and_answer_them(api: Api) -> None:
    """Runs after the walks above: their exits are in the feed."""
    feed = """query($after: String) { changes(after: $after, first: 2) {
      changes { position eventId kind subjectKey payload } pageInfo { hasNextPage endCursor } } }"""
    integrator = api.token(Role.INTEGRATOR, "23")
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.gql(feed, integrator, after=after))["changes"]
        seen += page["changes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    kinds = [c["kind"] for c in seen]
    assert "household_deregistered" in kinds
    assert "county_exit_approved" in kinds
    assert all(c["subjectKey"].startswith("23") or c["subjectKey"].startswith("T23") for c in seen)
    household = next(c for c in seen if c["kind"] == "household_deregistered")
    county = api.token(Role.COUNTY_LEADING_GROUP, "23")
    refused = (
        await api.client.post(
            "/graphql", json={"query": feed}, headers={"Authorization": f"Bearer {county}"}
        )
    ).json()
    assert "may not read changes" in refused["errors"][0]["message"]
    answer = await api.gql(
        """mutation($input: AcknowledgeChangeInput!) { acknowledgeChange(input: $input) {
        __typename ... on AcknowledgeChangeSuccess { answer { accepted reason } } } }""",
        integrator,
        input={"position": household["position"], "accepted": False, "reason": "国家系统中无此户"},
    )
    assert answer["acknowledgeChange"]["answer"]["accepted"] is False
    status = await api.gql(
        """query($code: String!) { jurisdiction(code: $code) { households(first: 5) {
        edges { node { registryNo syncStatus { lastChange { kind } answer { accepted reason } }
        } } } } }""",
        api.token(Role.TOWNSHIP_GOVERNMENT, "23"),
        code=HLJ_VILLAGE,
    )
    nodes = [e["node"] for e in status["jurisdiction"]["households"]["edges"]]
    synced = next(n for n in nodes if n["registryNo"] == household["subjectKey"])
    assert synced["syncStatus"]["answer"] == {"accepted": False, "reason": "国家系统中无此户"}


async def test_a_retried_mutation_returns_its_first_result_and_changes_nothing(
    api: Api,
) -> None:
    assign = """mutation($input: AssignRoleInput!, $key: String) {
      assignRole(input: $input, idempotencyKey: $key) { __typename
        ... on RoleAssignmentSuccess { assignment { id subject } }
        ... on Error { message } } }"""
    county = api.token(Role.COUNTY_LEADING_GROUP, "23")
    request = {
        "subject": "idempotent.official",
        "role": "FIRST_SECRETARY",
        "jurisdiction": HLJ_VILLAGE,
    }
    first = await api.gql(assign, county, input=request, key="grant-7f3a")
    again = await api.gql(assign, county, input=request, key="grant-7f3a")
    assert first["assignRole"]["__typename"] == "RoleAssignmentSuccess"
    assert again == first
    unkeyed = await api.gql(assign, county, input=request)
    assert unkeyed["assignRole"]["__typename"] == "InvalidTransitionError"  # held once
    other = await api.gql(
        assign, county, input={**request, "subject": "someone.else"}, key="grant-7f3a"
    )
    assert other["assignRole"]["__typename"] == "ValidationFailedError"
    assert "different request" in other["assignRole"]["message"]

    trail = """{ changes(first: 1) { changes { position } } }"""
    integrator = api.token(Role.INTEGRATOR, "23")
    position = (await api.gql(trail, integrator))["changes"]["changes"][0]["position"]
    ack = """mutation($input: AcknowledgeChangeInput!, $key: String) {
      acknowledgeChange(input: $input, idempotencyKey: $key) { __typename
        ... on AcknowledgeChangeSuccess { answer { at accepted } } } }"""
    answers = [
        await api.gql(ack, integrator, input={"position": position, "accepted": True}, key="ack-1")
        for _ in range(2)
    ]
    assert answers[0] == answers[1]
    engine = create_engine(api.database_url)
    try:
        async with AsyncSession(engine) as session:
            from sqlalchemy import func, select

            count = await session.scalar(
                select(func.count())
                .select_from(models.SyncAck)
                .where(models.SyncAck.position == position, models.SyncAck.accepted.is_(True))
            )
    finally:
        await engine.dispose()
    assert count == 1


async def test_integrators_subscribe_webhooks_inside_their_province_only(api: Api) -> None:
    create = """mutation($input: CreateWebhookInput!, $key: String) {
      createWebhookSubscription(input: $input, idempotencyKey: $key) { __typename
        ... on CreateWebhookSuccess { secret subscription { id url kinds jurisdiction active } }
        ... on Error { message } ... on ValidationFailedError { path } } }"""
    request = {
        "url": "http://127.0.0.1:9/hook",
        "kinds": ["household_deregistered"],
        "jurisdiction": HLJ_COUNTY,
    }
    integrator = api.token(Role.INTEGRATOR, "23")
    first, again = [
        (await api.gql(create, integrator, input=request, key="hook-1"))[
            "createWebhookSubscription"
        ]
        for _ in range(2)
    ]
    assert first["__typename"] == "CreateWebhookSuccess"
    assert first == again  # the retry returns the same subscription and secret
    assert len(first["secret"]) >= 32
    assert first["subscription"]["jurisdiction"] == HLJ_COUNTY

    wrong_role = await api.gql(create, api.token(Role.COUNTY_LEADING_GROUP, "23"), input=request)
    assert wrong_role["createWebhookSubscription"]["__typename"] == "NotPermittedError"
    foreign = await api.gql(create, api.token(Role.INTEGRATOR, "37"), input=request)
    assert foreign["createWebhookSubscription"]["__typename"] == "NotPermittedError"
    bad = await api.gql(create, integrator, input={**request, "kinds": ["everything"]})
    assert bad["createWebhookSubscription"]["path"] == ["kinds"]

    listing = "{ webhookSubscriptions { id deliveries { pending delivered dead } } }"
    mine = (await api.gql(listing, integrator))["webhookSubscriptions"]
    assert [s["id"] for s in mine] == [first["subscription"]["id"]]
    assert (await api.gql(listing, api.token(Role.INTEGRATOR, "37")))["webhookSubscriptions"] == []
    pause = """mutation($id: Int!) { setWebhookActive(id: $id, active: false) { __typename
        ... on WebhookSuccess { subscription { active } } } }"""
    paused = await api.gql(pause, integrator, id=first["subscription"]["id"])
    assert paused["setWebhookActive"]["subscription"]["active"] is False
    hidden = await api.gql(pause, api.token(Role.INTEGRATOR, "37"), id=first["subscription"]["id"])
    assert hidden["setWebhookActive"]["__typename"] == "NotFoundError"


async def test_integrators_import_households_in_bounded_batches(api: Api) -> None:
    from api.domain.register_file import HEADERS
    from tests.register_rows import register_row

    cells = register_row("GQL-1", HLJ_VILLAGE, 777, 户主姓名="钱七", 姓名="钱七")
    row = dict(zip(HEADERS, cells, strict=True))
    batch = """mutation($input: ImportHouseholdsInput!) { importHouseholds(input: $input) {
        __typename ... on ImportHouseholdsSuccess { created unchanged written
          errors { row column reason } }
        ... on Error { message } } }"""
    request = {"header": list(HEADERS), "rows": [[row[h] for h in HEADERS]]}
    integrator = api.token(Role.INTEGRATOR, "23")
    done = (await api.gql(batch, integrator, input=request))["importHouseholds"]
    assert done == {
        "__typename": "ImportHouseholdsSuccess",
        "created": 1,
        "unchanged": 0,
        "written": True,
        "errors": [],
    }
    again = (await api.gql(batch, integrator, input=request))["importHouseholds"]
    assert (again["created"], again["unchanged"], again["written"]) == (0, 1, False)

    county = await api.gql(batch, api.token(Role.COUNTY_LEADING_GROUP, "23"), input=request)
    assert county["importHouseholds"]["__typename"] == "NotPermittedError"
    foreign = (await api.gql(batch, api.token(Role.INTEGRATOR, "37"), input=request))[
        "importHouseholds"
    ]
    assert foreign["errors"] == [
        {"row": 2, "column": "行政区划代码", "reason": "outside your jurisdiction"}
    ]
    too_many = {**request, "rows": request["rows"] * 1_001}
    refused = (await api.gql(batch, integrator, input=too_many))["importHouseholds"]
    assert refused == {"__typename": "ValidationFailedError", "message": "send 1 to 1000 rows"}


CHAIN_HEAD = """query($id: ID!) { node(id: $id) { ... on ExitApplication {
  chainHead { seq entrySha256 entries } history { action } } } }"""


async def test_an_applications_chain_head_is_cited_to_those_who_may_read_it(api: Api) -> None:
    engine = create_engine(api.database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            household = await f.household(session, HLJ_VILLAGE)
            await f.member(session, household)
            await f.income(session, household, 2016, IncomeKind.WAGE, "4000")
            await f.assessment(session, household, 2016)
    finally:
        await engine.dispose()
    proposed = await api.gql(
        PROPOSE,
        api.token(Role.VILLAGE_COMMITTEES, "23"),
        input={
            "subjectKind": "HOUSEHOLD",
            "unitCode": HLJ_VILLAGE,
            "year": 2016,
            "subjects": [household.registry_no],
            "evidence": ev("assembly_minutes"),
        },
    )
    application = proposed["proposeExitList"]["list"]["applications"][0]
    inspector = api.token(Role.INSPECTOR, "23")
    first = (await api.gql(CHAIN_HEAD, inspector, id=application["id"]))["node"]
    # One entry per decision record: the proposal's stage record (its evidence inside it).
    assert first["chainHead"]["entries"] == len(first["history"]) == 1
    assert len(first["chainHead"]["entrySha256"]) == 64
    done = await drive(api, application, "23")
    assert done["status"] == "EXITED"
    last = (await api.gql(CHAIN_HEAD, inspector, id=application["id"]))["node"]
    assert last["chainHead"]["entries"] == len(last["history"])
    assert last["chainHead"]["seq"] > first["chainHead"]["seq"]
    assert last["chainHead"]["entrySha256"] != first["chainHead"]["entrySha256"]
    # The county reads it too; another province's inspector and the public see nothing.
    county = await api.gql(CHAIN_HEAD, api.token(Role.COUNTY_LEADING_GROUP, "23"), id=done["id"])
    assert county["node"]["chainHead"] == last["chainHead"]
    assert (await api.gql(CHAIN_HEAD, api.token(Role.INSPECTOR, "37"), id=done["id"]))[
        "node"
    ] is None
    assert (await api.gql(CHAIN_HEAD, None, id=done["id"]))["node"] is None
