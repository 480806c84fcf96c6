"""三率一度 and exits on paper over HTTP: the assigned evaluator records a county's samples,
everyone else is refused with the typed error of their case, readers of the application
see the indicators; a household behind a 十不脱 block is refused by name, and a stage
that needs the household's acknowledgment does not pass without it.

These tests commit, so they get a database of their own (fictional units inside
Heilongjiang, so its procedure governs them)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import issue_dev_token
from api.db import models
from api.db.session import create_engine
from api.domain.register import (
    CountyDesignation,
    Health,
    IncomeKind,
    RegionClass,
    StandardKind,
)
from api.domain.roles import Principal, Role
from api.services import access
from tests import factories as f
from tests.api.conftest import KEY, StoppedClock, answer, own_settings, serving_both
from tests.conftest import Database, fresh_database

COUNTY = "239821"
VILLAGE = "239821001001"
OTHER_VILLAGE = "239821001002"

HOLDINGS = {
    "county": (Role.COUNTY_LEADING_GROUP, COUNTY),
    "municipal": (Role.MUNICIPAL_LEADING_GROUP, "2398"),
    "province": (Role.PROVINCIAL_LEADING_GROUP, "23"),
    "agency-1": (Role.THIRD_PARTY_EVALUATOR, "23"),
    "agency-2": (Role.THIRD_PARTY_EVALUATOR, "23"),
    "lanshan": (Role.COUNTY_LEADING_GROUP, "371302"),
    "committees": (Role.VILLAGE_COMMITTEES, VILLAGE),
    "team": (Role.RESIDENT_WORK_TEAM, VILLAGE),
}


@pytest.fixture(scope="module")
def own_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("eval"), "eval") as url:
        yield url


async def _seed(url: str) -> dict[str, str]:
    """A county at 1% incidence; in its village a sound household and one whose head's
    serious illness has no treatment recorded."""
    engine = create_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            session.add(
                models.PovertyStandard(
                    applies_to="",
                    year=2016,
                    kind=StandardKind.NATIONAL,
                    amount=Decimal("2952"),
                    source="test",
                )
            )
            await f.units(session, VILLAGE, OTHER_VILLAGE)
            session.add(
                models.CountyDesignationRow(
                    county_code=COUNTY,
                    designation=CountyDesignation.NATIONAL,
                    region_class=RegionClass.GENERAL,
                    designated_year=2012,
                    exited_on=None,
                )
            )
            keys = {}
            for name, health in (("sound", Health.HEALTHY), ("ill", Health.SERIOUS_ILLNESS)):
                household = await f.household(session, VILLAGE)
                await f.member(session, household, health=health)
                await f.income(session, household, 2016, IncomeKind.WAGE, "4000")
                await f.assessment(session, household, 2016)
                keys[name] = household.registry_no
            await f.indicators(session, VILLAGE, 2016, rural=200)
            now = datetime(2016, 10, 1, tzinfo=UTC)
            for subject, (role, code) in HOLDINGS.items():
                await access.grant_bootstrap(
                    session, subject=subject, role=role, jurisdiction=code, now=now
                )
    finally:
        await engine.dispose()
    return keys


class Api:
    def __init__(
        self,
        client: httpx.AsyncClient,
        reference: httpx.AsyncClient,
        clock: StoppedClock,
        keys: dict[str, str],
    ) -> None:
        self.client, self.reference, self.clock, self.keys = client, reference, clock, keys

    async def gql(self, query: str, as_: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {}
        if as_ is not None:
            role, code = HOLDINGS[as_]
            token = issue_dev_token(Principal(as_, role, code), key=KEY, ttl=timedelta(hours=1))
            headers = {"Authorization": f"Bearer {token}"}
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
        yield Api(client, reference, clock, keys)


def ev(*kinds: str) -> list[dict[str, str]]:
    return [
        {
            "kind": k.upper(),
            "reference": f"doc/{k}.pdf",
            "sha256": hashlib.sha256(k.encode()).hexdigest(),
        }
        for k in kinds
    ]


ERRORS = """... on Error { __typename message }
  ... on StandardNotMetError { criteria { criterion detail } }
  ... on ValidationFailedError { path }"""
PROPOSE = f"""mutation($input: ProposeExitListInput!) {{ proposeExitList(input: $input) {{
  __typename ... on ProposeExitListSuccess {{ list {{ applications {{ id stage: currentStage
  {{ code }} }} }} }} {ERRORS} }} }}"""
EVALUATION = """evaluator regionClass passed
  indicators { code label numerator denominator value threshold comparison met detail }
  samples { villageCode ruralPopulation households { surveyNo people finding } }"""
RECORD = f"""mutation($input: RecordEvaluationVillageInput!) {{
  recordEvaluationVillage(input: $input) {{ __typename
    ... on RecordEvaluationSuccess {{ evaluation {{ {EVALUATION} }} }} {ERRORS} }} }}"""
READ = f"""query($id: ID!) {{ node(id: $id) {{ ... on ExitApplication {{
  evaluations {{ {EVALUATION} }} }} }} }}"""


def households(n: int, prefix: str, **findings: bool) -> list[dict[str, Any]]:
    values = {"registered": True, "exited": True, "foundPoor": False, "recognisesExit": True}
    values |= findings
    return [{"surveyNo": f"{prefix}{k:03d}", "people": 1, **values} for k in range(n)]


async def test_only_the_assigned_evaluator_records_and_readers_see_the_indicators(
    api: Api,
) -> None:
    proposed = await api.gql(
        PROPOSE,
        "county",
        input={
            "subjectKind": "COUNTY",
            "unitCode": COUNTY,
            "year": 2016,
            "subjects": [COUNTY],
            "evidence": ev("application_document"),
        },
    )
    (application,) = proposed["proposeExitList"]["list"]["applications"]
    assert application["stage"] == {"code": "municipal_review"}
    assign = """mutation($input: AssignEvaluatorInput!) { assignEvaluator(input: $input) {
      __typename } }"""
    assigned = await api.gql(
        assign, "municipal", input={"applicationId": application["id"], "evaluator": "agency-1"}
    )
    assert assigned["assignEvaluator"]["__typename"] == "ApplicationSuccess"

    # 20 poor people (10 remaining, 5 omitted, 5 wrongly exited) of 1000 surveyed: exactly
    # 2.00%, which is not below 2%. 5 of the 85 exited people were wrongly exited. 5
    # omitted of the 905 non-registered. 90 of 100 households recognise the exit: exactly
    # 90%, which is at least 90%.
    sample = [
        *households(10, "R", exited=False),
        *households(5, "O", registered=False, exited=False, foundPoor=True),
        *households(5, "W", foundPoor=True),
        *households(80, "E"),
    ]
    for household in sample[:10]:
        household["recognisesExit"] = False
    request = {
        "applicationId": application["id"],
        "villageCode": VILLAGE,
        "ruralPopulation": 1000,
        "households": sample,
    }
    refusals = {
        None: "NotPermittedError",  # anonymous
        "county": "NotPermittedError",  # sees the application; not its evaluator
        "province": "NotPermittedError",
        "lanshan": "NotFoundError",  # outside its jurisdiction
        "agency-2": "NotFoundError",  # an evaluator, not assigned to this one
    }
    for who, error in refusals.items():
        refused = await api.gql(RECORD, who, input=request)
        assert refused["recordEvaluationVillage"]["__typename"] == error, who
    empty = await api.gql(READ, "province", id=application["id"])
    assert empty["node"]["evaluations"] == [
        {
            "evaluator": "agency-1",
            "regionClass": "GENERAL",
            "passed": False,
            "indicators": [
                {
                    "code": "COMPREHENSIVE_INCIDENCE",
                    "label": "综合贫困发生率",
                    "numerator": 0,
                    "denominator": 0,
                    "value": None,
                    "threshold": "2.00",
                    "comparison": "BELOW",
                    "met": False,
                    "detail": "nothing sampled to compute it from; the bar is 低于2.00%",
                },
                *[
                    {
                        "code": code,
                        "label": label,
                        "numerator": 0,
                        "denominator": 0,
                        "value": None,
                        "threshold": threshold,
                        "comparison": comparison,
                        "met": False,
                        "detail": f"nothing sampled to compute it from; the bar is {bar}",
                    }
                    for code, label, threshold, comparison, bar in (
                        ("WRONGFUL_EXIT_RATE", "脱贫人口错退率", "2.00", "BELOW", "低于2.00%"),
                        ("OMISSION_RATE", "贫困人口漏评率", "2.00", "BELOW", "低于2.00%"),
                        (
                            "PUBLIC_RECOGNITION",
                            "群众认可度",
                            "90.00",
                            "AT_LEAST",
                            "不低于90.00%",
                        ),
                    )
                ],
            ],
            "samples": [],
        }
    ]

    recorded = (await api.gql(RECORD, "agency-1", input=request))["recordEvaluationVillage"]
    assert recorded["__typename"] == "RecordEvaluationSuccess", recorded
    evaluation = recorded["evaluation"]
    verdicts = {
        i["code"]: (i["numerator"], i["denominator"], i["value"], i["met"])
        for i in evaluation["indicators"]
    }
    assert verdicts == {
        "COMPREHENSIVE_INCIDENCE": (20, 1000, "2.00", False),  # exactly 2%: not below 2%
        "WRONGFUL_EXIT_RATE": (5, 85, "5.88", False),
        "OMISSION_RATE": (5, 905, "0.55", True),
        "PUBLIC_RECOGNITION": (90, 100, "90.00", True),  # exactly 90%: at least 90%
    }
    assert evaluation["passed"] is False
    (village,) = evaluation["samples"]
    assert (village["villageCode"], village["ruralPopulation"]) == (VILLAGE, 1000)
    findings = {h["surveyNo"]: h["finding"] for h in village["households"]}
    assert (findings["R000"], findings["O000"], findings["W000"], findings["E000"]) == (
        "REMAINING_POOR",
        "OMITTED",
        "WRONGLY_EXITED",
        "EXITED",
    )

    read = await api.gql(READ, "province", id=application["id"])
    assert read["node"]["evaluations"] == [evaluation]
    hidden = await api.gql(READ, "lanshan", id=application["id"])
    assert hidden["node"] is None
    invalid = await api.gql(RECORD, "agency-1", input={**request, "villageCode": "371302101200"})
    assert invalid["recordEvaluationVillage"]["path"] == ["villageCode"]

    # A second evaluator's record is its own; each evaluator sees only its own evaluation.
    await api.gql(
        assign, "municipal", input={"applicationId": application["id"], "evaluator": "agency-2"}
    )
    keyed = RECORD.replace(
        "($input: RecordEvaluationVillageInput!)",
        "($input: RecordEvaluationVillageInput!, $key: String)",
    ).replace("(input: $input)", "(input: $input, idempotencyKey: $key)")
    second_request = {**request, "households": households(10, "S")}
    second, again = [
        await api.gql(keyed, "agency-2", input=second_request, key="sample-1") for _ in range(2)
    ]
    assert second["recordEvaluationVillage"]["evaluation"]["evaluator"] == "agency-2"
    assert again == second  # a retry with the key returns the first result
    both = await api.gql(READ, "municipal", id=application["id"])
    assert [e["evaluator"] for e in both["node"]["evaluations"]] == ["agency-1", "agency-2"]
    submit = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
      __typename ... on ApplicationSuccess { application { evaluations { evaluator } } } } }"""
    submitted = await api.gql(
        submit,
        "agency-1",
        input={"applicationId": application["id"], "report": ev("evaluation_report")[0]},
    )
    assert submitted["submitEvaluation"]["application"]["evaluations"] == [
        {"evaluator": "agency-1"}
    ]
    final = await api.gql(RECORD, "agency-1", input=request)
    assert final["recordEvaluationVillage"]["__typename"] == "InvalidTransitionError"


async def test_a_household_behind_a_hard_block_is_refused_by_name_over_http(api: Api) -> None:
    refused = await api.gql(
        PROPOSE,
        "committees",
        input={
            "subjectKind": "HOUSEHOLD",
            "unitCode": VILLAGE,
            "year": 2016,
            "subjects": [api.keys["sound"], api.keys["ill"]],
            "evidence": ev("assembly_minutes"),
        },
    )
    payload = refused["proposeExitList"]
    assert payload["__typename"] == "StandardNotMetError"
    assert payload["criteria"] == [
        {
            "criterion": f"{api.keys['ill']}: block_untreated_serious_illness",
            "detail": "户主 患有大病: no treatment recorded",
        }
    ]
    check = await api.gql(
        """query($code: String!) { jurisdiction(code: $code) { households(first: 5) {
        edges { node { registryNo members { seriousIllnessTreated }
        standardCheck(year: 2016) { met shortfalls { criterion label } } } } } } }""",
        "county",
        code=VILLAGE,
    )
    nodes = {
        e["node"]["registryNo"]: e["node"] for e in check["jurisdiction"]["households"]["edges"]
    }
    ill = nodes[api.keys["ill"]]
    assert ill["members"] == [{"seriousIllnessTreated": None}]
    assert ill["standardCheck"] == {
        "met": False,
        "shortfalls": [
            {"criterion": "BLOCK_UNTREATED_SERIOUS_ILLNESS", "label": "十不脱：大病未得到救治"}
        ],
    }
    assert nodes[api.keys["sound"]]["standardCheck"]["met"] is True


async def test_verification_without_the_households_acknowledgment_changes_nothing(
    api: Api,
) -> None:
    proposed = await api.gql(
        PROPOSE,
        "committees",
        input={
            "subjectKind": "HOUSEHOLD",
            "unitCode": VILLAGE,
            "year": 2016,
            "subjects": [api.keys["sound"]],
            "evidence": ev("assembly_minutes"),
        },
    )
    (application,) = proposed["proposeExitList"]["list"]["applications"]
    state = """query($id: ID!) { node(id: $id) { ... on ExitApplication { status updatedAt
      currentStage { code } history { action } evidence { kind } auditTrail { action } } } }"""
    before = await api.gql(state, "county", id=application["id"])
    api.clock.now += timedelta(hours=1)
    perform = f"""mutation($input: PerformStageInput!) {{ performStage(input: $input) {{
      __typename ... on ApplicationSuccess {{ application {{ currentStage {{ code }} }} }}
      {ERRORS} }} }}"""
    request = {
        "applicationId": application["id"],
        "stage": "verification",
        "decision": "APPROVE",
        "evidence": ev("verification_record"),
    }
    refused = (await api.gql(perform, "team", input=request))["performStage"]
    assert refused["__typename"] == "ValidationFailedError"
    assert "needs evidence: household_acknowledgment" in refused["message"]
    after = await api.gql(state, "county", id=application["id"])
    assert after == before
    assert before["node"]["currentStage"] == {"code": "verification"}
    acknowledged = await api.gql(
        """mutation($input: RecordAcknowledgmentInput!) { recordAcknowledgment(input: $input) {
        __typename } }""",
        "team",
        input={"applicationId": application["id"], "evidence": ev("household_acknowledgment")[0]},
    )
    assert acknowledged["recordAcknowledgment"]["__typename"] == "ApplicationSuccess"
    api.clock.now += timedelta(hours=1)
    passed = (await api.gql(perform, "team", input=request))["performStage"]
    assert passed["application"]["currentStage"] == {"code": "village_notice"}
