"""The first slice over HTTP: tree, households and incidence, scoped to the token."""

from __future__ import annotations

import asyncio

import httpx

from api.config import Settings
from api.domain.roles import Role
from tests.api.conftest import GraphQL

VILLAGE = "230231101200"  # 合心村, in 三道镇, 拜泉县
OTHER_VILLAGE = "230231102200"  # a village of 兴农镇, the neighbouring township
TOWNSHIP = VILLAGE[:9]

HOUSEHOLDS = """
query($code: String!, $first: Int!, $after: String) {
  jurisdiction(code: $code) {
    name
    households(first: $first, after: $after) {
      edges { cursor node { registryNo headName villageCode size(year: 2016)
        perCapitaNetIncome(year: 2016)
        standardCheck(year: 2016) { met shortfalls { criterion } } } }
      pageInfo { hasNextPage endCursor }
    }
    incidence(year: 2016) { poorPopulation ruralPopulation percent exitCheck { met } }
  }
}
"""


async def test_the_tree_is_public_from_provinces_to_villages(gql: GraphQL) -> None:
    body = await gql("{ provinces { code name children { code name level } } }")
    provinces = {p["code"]: p for p in body["data"]["provinces"]}
    assert provinces["23"]["name"] == "黑龙江省"
    assert provinces["37"]["children"] == [
        {"code": "3713", "name": "临沂市", "level": "MUNICIPALITY"}
    ]
    village = await gql(
        '{ jurisdiction(code: "230231101200") { level parent { name parent { name } } } }'
    )
    assert village["data"]["jurisdiction"] == {
        "level": "VILLAGE",
        "parent": {"name": "三道镇", "parent": {"name": "拜泉县"}},
    }


async def test_township_official_reads_its_villages_households(gql: GraphQL) -> None:
    body = await gql(HOUSEHOLDS, as_=(Role.TOWNSHIP_GOVERNMENT, TOWNSHIP), code=VILLAGE, first=5)
    village = body["data"]["jurisdiction"]
    edges = village["households"]["edges"]
    assert len(edges) == 5
    assert village["households"]["pageInfo"]["hasNextPage"] is True
    assert {e["node"]["villageCode"] for e in edges} == {VILLAGE}
    assert all(e["node"]["size"] >= 1 for e in edges)
    assert village["incidence"]["percent"] == "2.00"
    assert village["incidence"]["exitCheck"] == {"met": True}


async def test_pages_continue_from_the_cursor_without_overlap(gql: GraphQL) -> None:
    actor = (Role.COUNTY_LEADING_GROUP, "230231")
    first = await gql(HOUSEHOLDS, as_=actor, code=VILLAGE, first=3)
    page = first["data"]["jurisdiction"]["households"]
    second = await gql(
        HOUSEHOLDS, as_=actor, code=VILLAGE, first=3, after=page["pageInfo"]["endCursor"]
    )
    ids_1 = [e["node"]["registryNo"] for e in page["edges"]]
    ids_2 = [e["node"]["registryNo"] for e in second["data"]["jurisdiction"]["households"]["edges"]]
    assert len(ids_2) == 3
    assert not set(ids_1) & set(ids_2)
    assert ids_1 + ids_2 == sorted(ids_1 + ids_2)


async def test_out_of_jurisdiction_and_anonymous_readers_see_no_households(gql: GraphQL) -> None:
    neighbour = (Role.VILLAGE_COMMITTEES, OTHER_VILLAGE)
    other_province = (Role.COUNTY_LEADING_GROUP, "371302")
    for actor in (neighbour, other_province):
        body = await gql(HOUSEHOLDS, as_=actor, code=VILLAGE, first=5)
        village = body["data"]["jurisdiction"]
        assert village["households"]["edges"] == []
        assert village["incidence"] is None
    # The public is told that the register needs a token, the unit's name still read.
    body = await gql(HOUSEHOLDS, code=VILLAGE, first=5)
    assert body["data"]["jurisdiction"]["households"] is None
    assert body["data"]["jurisdiction"]["incidence"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}


async def test_an_evaluator_sees_no_register_without_an_assignment(gql: GraphQL) -> None:
    body = await gql(HOUSEHOLDS, as_=(Role.THIRD_PARTY_EVALUATOR, "230231"), code=VILLAGE, first=5)
    assert body["data"]["jurisdiction"]["households"]["edges"] == []


async def test_the_household_check_names_its_failing_criteria(gql: GraphQL) -> None:
    body = await gql(HOUSEHOLDS, as_=(Role.COUNTY_LEADING_GROUP, "230231"), code=VILLAGE, first=1)
    node = body["data"]["jurisdiction"]["households"]["edges"][0]["node"]
    # Household 0001 of every demo village sits exactly on its line: 超过 is strict.
    assert node["registryNo"].endswith("0001")
    assert node["perCapitaNetIncome"] in ("2952.00", "3200.00")
    assert {"criterion": "INCOME"} in node["standardCheck"]["shortfalls"]


async def test_bad_input_gets_a_clear_error_and_no_data(gql: GraphQL) -> None:
    actor = (Role.COUNTY_LEADING_GROUP, "230231")
    too_many = await gql(HOUSEHOLDS, as_=actor, code=VILLAGE, first=500)
    assert too_many["errors"][0]["message"] == "first must be between 1 and 100"
    forged = await gql(HOUSEHOLDS, as_=actor, code=VILLAGE, first=5, after="bm90LWEtY3Vyc29y")
    assert forged["errors"][0]["message"] == "the cursor is not one this API gave out"
    bad_code = await gql('{ jurisdiction(code: "23x") { name } }')
    assert "not a division code" in bad_code["errors"][0]["message"]
    assert "Traceback" not in str(bad_code)


async def test_a_bad_token_is_refused_before_any_resolver(client: httpx.AsyncClient) -> None:
    for header in ("Bearer not-a-jwt", "Basic dXNlcjpwdw==", "Bearer "):
        response = await client.post(
            "/graphql", json={"query": "{ provinces { code } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_oversized_bodies_and_deep_queries_are_refused(
    client: httpx.AsyncClient, gql: GraphQL
) -> None:
    response = await client.post("/graphql", content=b"{" + b" " * 1_100_000 + b"}")
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    deep = "{ provinces { " + "children { " * 14 + "code" + " }" * 14 + " } }"
    body = await gql(deep)
    assert (
        body["errors"][0]["message"]
        == "operation 'anonymous' is 15 levels deep; at most 12 are allowed"
    )
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_household_filters_and_total_count(gql: GraphQL) -> None:
    query = """query($code: String!, $attrs: [ExitAttribute!]) { jurisdiction(code: $code) {
      all: households(first: 1) { totalCount }
      poor: households(first: 100, exitAttribute: $attrs) { totalCount
        edges { node { exitAttribute } } } } }"""
    actor = (Role.COUNTY_LEADING_GROUP, "230231")
    body = await gql(query, as_=actor, code=VILLAGE, attrs=["NOT_EXITED"])
    village = body["data"]["jurisdiction"]
    poor = village["poor"]
    assert 0 < poor["totalCount"] < village["all"]["totalCount"]
    assert {e["node"]["exitAttribute"] for e in poor["edges"]} == {"NOT_EXITED"}
    outside = await gql(query, as_=(Role.COUNTY_LEADING_GROUP, "371302"), code=VILLAGE, attrs=None)
    assert outside["data"]["jurisdiction"]["all"]["totalCount"] == 0


async def test_register_details_designations_standards_and_plans(gql: GraphQL) -> None:
    query = """{ povertyStandards(year: 2016) { appliesTo kind amount source }
      county: jurisdiction(code: "230231") { poorCounty { designation regionClass exitedOn }
        exitPlans(year: 2016) { subjectKind plannedCount } }
      village: jurisdiction(code: "230231101200") { poorVillage { designation }
        households(first: 1) { edges { node { incomes(year: 2016) { kind amount }
          assessments(year: 2016) { housingGrade assessorRole evidence } } } } } }"""
    official = await gql(query, as_=(Role.COUNTY_LEADING_GROUP, "230231"))
    data = official["data"]
    national = [s for s in data["povertyStandards"] if s["appliesTo"] == ""]
    assert national[0]["amount"] == "2952.00"
    assert "2300" in national[0]["source"]
    assert data["county"]["poorCounty"] == {
        "designation": "NATIONAL",
        "regionClass": "GENERAL",
        "exitedOn": None,
    }
    assert data["county"]["exitPlans"][0]["subjectKind"] == "HOUSEHOLD"
    assert data["village"]["poorVillage"] == {"designation": "POOR_VILLAGE"}
    node = data["village"]["households"]["edges"][0]["node"]
    assert {line["kind"] for line in node["incomes"]} >= {"WAGE", "COST"}
    assert node["assessments"][0]["evidence"].startswith("入户核查表")

    public = await gql(query)
    assert public["data"]["county"]["poorCounty"]["designation"] == "NATIONAL"  # published
    assert public["data"]["county"]["exitPlans"] is None
    assert public["data"]["village"]["households"] is None
    assert [e["path"] for e in public["errors"]] == [
        ["county", "exitPlans"],
        ["village", "households"],
    ]
    outsider = (await gql(query, as_=(Role.COUNTY_LEADING_GROUP, "371302")))["data"]
    assert outsider["county"]["exitPlans"] == []


async def test_every_entity_is_a_node_scoped_like_its_unit(gql: GraphQL) -> None:
    query = """{ jurisdiction(code: "230231101200") { households(first: 1) { edges { node {
      id members { id } incomes(year: 2016) { id } assessments(year: 2016) { id } } } } } }"""
    county = (Role.COUNTY_LEADING_GROUP, "230231")
    node = (await gql(query, as_=county))["data"]["jurisdiction"]["households"]["edges"][0]["node"]
    ids = [
        node["id"],
        node["members"][0]["id"],
        node["incomes"][0]["id"],
        node["assessments"][0]["id"],
    ]
    fetch = "query($id: ID!) { node(id: $id) { __typename id ... on Member { idNumber } } }"
    for global_id in ids:
        seen = (await gql(fetch, as_=county, id=global_id))["data"]["node"]
        assert seen["id"] == global_id
        hidden = await gql(fetch, as_=(Role.COUNTY_LEADING_GROUP, "371302"), id=global_id)
        assert hidden["data"]["node"] is None
        assert (await gql(fetch, id=global_id))["data"]["node"] is None
    village = (Role.VILLAGE_COMMITTEES, "230231101200")
    member = (await gql(fetch, as_=village, id=ids[1]))["data"]["node"]
    assert "********" in member["idNumber"]
    full = (await gql(fetch, as_=county, id=ids[1]))["data"]["node"]
    assert "*" not in full["idNumber"]
    standards = await gql("{ povertyStandards(year: 2016) { id } }")
    line = standards["data"]["povertyStandards"][0]["id"]
    assert (await gql(fetch, id=line))["data"]["node"]["__typename"] == "PovertyStandard"


async def test_the_meets_standard_filter_pages_without_gaps(gql: GraphQL) -> None:
    query = """query($met: Boolean!, $after: String) { jurisdiction(code: "230231101202") {
      households(first: 3, after: $after, meetsStandard: {year: 2016, met: $met}) {
        edges { node { registryNo standardCheck(year: 2016) { met } } }
        pageInfo { hasNextPage endCursor } } } }"""
    actor = (Role.COUNTY_LEADING_GROUP, "230231")
    seen: dict[bool, list[str]] = {True: [], False: []}
    for met in (True, False):
        after = None
        while True:
            body = await gql(query, as_=actor, met=met, after=after)
            page = body["data"]["jurisdiction"]["households"]
            assert all(e["node"]["standardCheck"]["met"] is met for e in page["edges"])
            seen[met] += [e["node"]["registryNo"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    everyone = await gql(
        '{ jurisdiction(code: "230231101202") { households(first: 100) { totalCount } } }',
        as_=actor,
    )
    total = everyone["data"]["jurisdiction"]["households"]["totalCount"]
    assert seen[True]
    assert seen[False]
    assert len(set(seen[True]) | set(seen[False])) == len(seen[True]) + len(seen[False]) == total
    counted = await gql(
        '{ jurisdiction(code: "230231101202") { households(first: 1, '
        "meetsStandard: {year: 2016}) { totalCount } } }",
        as_=actor,
    )
    assert "totalCount is not available" in counted["errors"][0]["message"]


async def test_crafted_ids_and_cursors_are_input_errors_not_crashes(gql: GraphQL) -> None:
    import base64

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    actor = (Role.COUNTY_LEADING_GROUP, "230231")
    for raw in ("Household:²", "Household:99999999999999999999999", "Member:0", "Household:-1"):
        body = await gql("query($id: ID!) { node(id: $id) { id } }", as_=actor, id=b64(raw))
        assert body["data"]["node"] is None, raw
    perform = """mutation($id: ID!) { performStage(input: {applicationId: $id,
      stage: "verification", decision: APPROVE}) { __typename } }"""
    huge = await gql(perform, as_=actor, id=b64("ExitApplication:99999999999999999999999"))
    assert huge["data"]["performStage"]["__typename"] == "ValidationFailedError"
    cursor = base64.urlsafe_b64encode(b"230231101200\x1f99999999999999999999").decode()
    paged = await gql(HOUSEHOLDS, as_=actor, code=VILLAGE, first=5, after=cursor.rstrip("="))
    assert paged["errors"][0]["message"] == "the cursor is not one this API gave out"


async def test_a_token_reads_only_while_its_holding_is_recorded(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.auth.tokens import issue_dev_token
    from api.db import models
    from api.db.session import create_engine
    from api.domain.roles import Principal
    from api.services import access
    from tests.api.conftest import KEY

    query = """{ jurisdiction(code: "230231101200") { incidence(year: 2016) { percent }
      households(first: 1) { edges { node { phone } } } } }"""

    async def read(subject: str) -> dict[str, object]:
        token = issue_dev_token(
            Principal(subject, Role.TOWNSHIP_GOVERNMENT, TOWNSHIP),
            key=KEY,
            ttl=timedelta(minutes=5),
        )
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        body = response.json()
        data: dict[str, object] = body["data"]["jurisdiction"]
        data["codes"] = {e["extensions"]["code"] for e in body.get("errors", [])}
        return data

    ghost = await read("ghost-never-granted")
    assert ghost["incidence"] is None
    assert ghost["households"] is None  # an unrecorded holding reads as the public
    assert ghost["codes"] == {"UNAUTHENTICATED"}

    engine = create_engine(settings.database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            granted = await access.grant_bootstrap(
                session,
                subject="soon-revoked",
                role=Role.TOWNSHIP_GOVERNMENT,
                jurisdiction=TOWNSHIP,
                now=datetime.now(UTC),
            )
        assert (await read("soon-revoked"))["incidence"] is not None
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                update(models.RoleAssignment)
                .where(models.RoleAssignment.id == granted.id)
                .values(revoked_at=datetime.now(UTC))
            )
            await session.execute(
                update(models.PolicyState).values(version=models.PolicyState.version + 1)
            )
    finally:
        await engine.dispose()
    # Another process's change reaches this one's reads when PostgreSQL delivers its
    # notification (api/authz/watch.py), within milliseconds; SQLite reads it at once.
    for _ in range(100):
        revoked = await read("soon-revoked")
        if revoked["incidence"] is None:
            break
        await asyncio.sleep(0.05)
    assert revoked["incidence"] is None
    assert revoked["households"] is None
    assert revoked["codes"] == {"UNAUTHENTICATED"}


async def test_a_pages_figures_are_the_households_own(gql: GraphQL) -> None:
    """A page fetches its rows' figures with its statement (the first year asked) and the
    other years in a read each; each must be what the household's own accounts give."""
    actor = (Role.COUNTY_LEADING_GROUP, "230231")
    years = (2016, 2015, 2030)  # 2030: no income records, a net income of 0
    figures = " ".join(f"s{y}: size(year: {y}) p{y}: perCapitaNetIncome(year: {y})" for y in years)
    pages = []
    for asked in (figures, "s2016: size(year: 2016) p2016: perCapitaNetIncome(year: 2016)"):
        body = await gql(
            f"""query($code: String!) {{ jurisdiction(code: $code) {{ households(first: 20) {{
              edges {{ node {{ id {asked} }} }} }} }} }}""",
            as_=actor,
            code=VILLAGE,
        )
        pages.append([e["node"] for e in body["data"]["jurisdiction"]["households"]["edges"]])
    rows = pages[0]
    assert len(rows) > 10
    # One household at a time, through node(id:): the accounts loader, not the page.
    for row in rows:
        own = await gql(
            f"query($id: ID!) {{ node(id: $id) {{ ... on Household {{ id {figures} }} }} }}",
            as_=actor,
            id=row["id"],
        )
        assert own["data"]["node"] == row
    assert [{k: row[k] for k in ("id", "s2016", "p2016")} for row in rows] == pages[1]
    assert len({row["p2016"] for row in rows}) > 5, "the figures differ between households"
    assert {row["p2030"] for row in rows} == {"0.00"}
