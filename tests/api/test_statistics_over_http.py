"""Statistics over GraphQL: kept as proposals and exits happen, read by officials of
every tier within their jurisdiction; evaluators and integrators are refused; other
units' figures are null; the kept rows always equal a rebuild from the register.

These tests commit, so they get a database of their own (the fictional units of
test_procedures_over_http: one poor household in a poor village of a poor county)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.db.session import create_engine
from api.domain.register import SubjectKind
from api.domain.roles import Role
from tests.api.conftest import StoppedClock, own_settings, serving_both
from tests.api.test_procedures_over_http import (
    HLJ_COUNTY,
    HLJ_VILLAGE,
    Api,
    _seed,
    drive,
    propose_household,
)
from tests.conftest import Database, fresh_database
from tests.statistics_check import assert_kept_equal_a_rebuild

HLJ_TOWN = HLJ_VILLAGE[:9]
FIGURES = """code year registeredHouseholds registeredPopulation poorHouseholds poorPopulation
  proposedHouseholds exitedHouseholds exitedPopulation returnedHouseholds ruralPopulation
  incidence { percent exitCheck { met } }
  poorVillages { designated proposed exited meetingStandard }
  poorCounties { designated proposed exited meetingStandard }
  planProgress { subjectKind planned done remaining met percent }"""
READ = f"""query($code: String!) {{ jurisdiction(code: $code) {{
  statistics(year: 2016) {{ {FIGURES} }} }} }}"""


@pytest.fixture(scope="module")
def statistics_database(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("st"), "stats") as url:
        yield url


@pytest.fixture(scope="module")
async def api(
    statistics_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    keys = await _seed(statistics_database)
    engine = create_engine(statistics_database)
    async with AsyncSession(engine) as session, session.begin():
        session.add(
            models.ExitPlan(
                jurisdiction_code=HLJ_COUNTY,
                year=2016,
                subject_kind=SubjectKind.HOUSEHOLD,
                planned_count=2,
                planned_population=2,
                document="县2016年度脱贫计划",
            )
        )
    await engine.dispose()
    clock = StoppedClock()
    settings = own_settings(statistics_database, tmp_path_factory)
    async with serving_both(settings, clock=clock) as (client, reference):
        yield Api(client, clock, keys, statistics_database, reference)


async def _figures(api: Api, code: str, role: Role) -> dict[str, Any] | None:
    data = await api.gql(READ, api.token(role, "23"), code=code)
    found: dict[str, Any] | None = data["jurisdiction"]["statistics"]
    return found


async def _kept_rows_equal_a_rebuild(url: str) -> None:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session:
            await assert_kept_equal_a_rebuild(session)
            await session.rollback()
    finally:
        await engine.dispose()


async def test_statistics_follow_a_proposal_and_an_exit(api: Api) -> None:
    county = await _figures(api, HLJ_COUNTY, Role.COUNTY_LEADING_GROUP)
    assert county is not None
    assert county["poorHouseholds"] == 1
    assert county["poorPopulation"] == 1
    assert county["registeredHouseholds"] == 1
    assert county["ruralPopulation"] == 100
    assert county["proposedHouseholds"] == 0
    assert county["incidence"] == {"percent": "1.00", "exitCheck": {"met": True}}
    assert county["poorVillages"] == {
        "designated": 1,
        "proposed": 0,
        "exited": 0,
        "meetingStandard": 1,
    }
    assert county["poorCounties"]["designated"] == 1
    assert county["poorCounties"]["meetingStandard"] == 1
    assert county["planProgress"] == [
        {
            "subjectKind": "HOUSEHOLD",
            "planned": 2,
            "done": 0,
            "remaining": 2,
            "met": False,
            "percent": "0.00",
        }
    ]

    application = await propose_household(api, HLJ_VILLAGE, "23")
    village = await _figures(api, HLJ_VILLAGE, Role.VILLAGE_COMMITTEES)
    assert village is not None
    assert village["proposedHouseholds"] == 1
    assert village["poorHouseholds"] == 1  # proposed, not yet exited
    await _kept_rows_equal_a_rebuild(api.database_url)

    done = await drive(api, application, "23")
    assert done["status"] == "EXITED"
    for code, role in (
        (HLJ_VILLAGE, Role.RESIDENT_WORK_TEAM),
        (HLJ_TOWN, Role.TOWNSHIP_GOVERNMENT),
        (HLJ_COUNTY, Role.COUNTY_LEADING_GROUP),
        ("2397", Role.MUNICIPAL_LEADING_GROUP),
        ("23", Role.PROVINCIAL_GOVERNMENT),
        ("23", Role.STATE_COUNCIL_LEADING_GROUP),
    ):
        after = await _figures(api, code, role)
        assert after is not None, (code, role)
        assert (after["poorHouseholds"], after["poorPopulation"]) == (0, 0)
        assert (after["exitedHouseholds"], after["exitedPopulation"]) == (1, 1)
        assert after["proposedHouseholds"] == 1
        assert after["registeredHouseholds"] == 1  # still registered: exited, not removed
    county = await _figures(api, HLJ_COUNTY, Role.COUNTY_LEADING_GROUP)
    assert county is not None
    assert county["incidence"]["percent"] == "0.00"
    assert county["planProgress"][0] | {"subjectKind": "HOUSEHOLD"} == {
        "subjectKind": "HOUSEHOLD",
        "planned": 2,
        "done": 1,
        "remaining": 1,
        "met": False,
        "percent": "50.00",
    }
    await _kept_rows_equal_a_rebuild(api.database_url)


async def test_other_units_figures_are_null(api: Api) -> None:
    # Out of jurisdiction: Lanshan's county, and a township asking about its county.
    lanshan = await api.gql(READ, api.token(Role.COUNTY_LEADING_GROUP, "37"), code=HLJ_COUNTY)
    assert lanshan["jurisdiction"]["statistics"] is None
    above = await api.gql(READ, api.token(Role.TOWNSHIP_GOVERNMENT, "23"), code=HLJ_COUNTY)
    assert above["jurisdiction"]["statistics"] is None
    public = (
        await api.client.post("/graphql", json={"query": READ, "variables": {"code": HLJ_COUNTY}})
    ).json()
    assert public["data"]["jurisdiction"]["statistics"] is None
    assert [e["extensions"]["code"] for e in public["errors"]] == ["UNAUTHENTICATED"]
    # The allowed case, for contrast: the same query from the county's own officials.
    own = await api.gql(READ, api.token(Role.COUNTY_LEADING_GROUP, "23"), code=HLJ_COUNTY)
    assert own["jurisdiction"]["statistics"]["code"] == HLJ_COUNTY


@pytest.mark.parametrize("role", [Role.THIRD_PARTY_EVALUATOR, Role.INTEGRATOR])
async def test_evaluators_and_integrators_may_not_read_statistics(api: Api, role: Role) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": READ, "variables": {"code": "23"}},
        headers={"Authorization": f"Bearer {api.token(role, '23')}"},
    )
    body = response.json()
    assert body["data"]["jurisdiction"]["statistics"] is None
    (error,) = body["errors"]
    assert "may not read statistics" in error["message"]
    assert error["path"] == ["jurisdiction", "statistics"]


async def test_a_list_of_units_is_tallied_together(api: Api) -> None:
    data = await api.gql(
        """{ provinces { code statistics(year: 2016) {
          poorVillages { designated meetingStandard } poorCounties { designated } } } }""",
        api.token(Role.STATE_COUNCIL_LEADING_GROUP, ""),
    )
    found = {p["code"]: p["statistics"] for p in data["provinces"]}
    assert found["23"]["poorVillages"]["designated"] == 1
    assert found["37"]["poorVillages"]["designated"] == 1
    assert found["23"]["poorCounties"] == {"designated": 1}
    assert found["37"]["poorCounties"] == {"designated": 0}
