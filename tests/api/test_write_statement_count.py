"""performStage over HTTP runs a pinned number of SQL statements: on PostgreSQL the
holding check at the request's start, one read (the application, its procedure's digest,
the policy version and its history) and one write (the application, its stage record,
its evidence and the ledger event). More would be a regression of the write path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.db.session import create_engine
from api.domain.procedures import EvidenceKind
from api.domain.register import IncomeKind, SubjectKind
from api.domain.roles import Principal, Role
from api.services import exits
from tests import factories as f
from tests.api.conftest import KEY
from tests.conftest import Database
from tests.scenarios import env, evidence, official

# A fictional municipality of Heilongjiang (its procedure governs it); no other test
# meets these rows, and this test commits.
VILLAGE = "239601001001"

PERFORM = """mutation($input: PerformStageInput!) { performStage(input: $input) {
  __typename ... on ApplicationSuccess { application { id currentStage { code } } }
  ... on Error { message } } }"""

EXPECTED = {
    # the holding check at the request's start; the read; the one-statement write
    "postgresql": ["SELECT", "SELECT", "WITH"],
    # the same, each transaction with its explicit BEGIN, and the ORM's flush for the write:
    # the application, its record, each piece of evidence, the ledger event
    "sqlite": ["BEGIN", "SELECT", "BEGIN", "SELECT", "UPDATE", *["INSERT"] * 4],
}


async def _proposed(url: str) -> tuple[list[int], Principal]:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await f.units(session, VILLAGE)
            keys = []
            for _ in range(2):
                household = await f.household(session, VILLAGE)
                await f.member(session, household)
                await f.income(session, household, 2016, IncomeKind.WAGE, "5000")
                await f.assessment(session, household, 2016)
                keys.append(household.registry_no)
            committee = await official(session, Role.VILLAGE_COMMITTEES, VILLAGE, "count-c")
            team = await official(session, Role.RESIDENT_WORK_TEAM, VILLAGE, "count-team")
            proposed = await exits.propose(
                env(session),
                committee,
                kind=SubjectKind.HOUSEHOLD,
                unit_code=VILLAGE,
                year=2016,
                subjects=keys,
                evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
            )
            return [a.id for a in proposed.applications], team
    finally:
        await engine.dispose()


@pytest.fixture
async def counted(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    app = create_app(settings)
    statements: list[str] = []
    async with app.router.lifespan_context(app):

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, statements


async def test_perform_stage_runs_a_pinned_number_of_statements(
    counted: tuple[httpx.AsyncClient, list[str]], settings: Settings, database: Database
) -> None:
    client, statements = counted
    ids, team = await _proposed(settings.database_url)
    bearer = issue_dev_token(team, key=KEY, ttl=timedelta(minutes=10))
    kinds = (EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)
    given = [
        {"kind": e.kind.name, "reference": e.reference, "sha256": e.sha256}
        for e in evidence(*kinds)
    ]
    seen = []
    # The first request warms what a running server has cached (the caller's holding).
    for application_id in ids:
        statements.clear()
        variables = {
            "input": {
                "applicationId": to_base64("ExitApplication", application_id),
                "stage": "verification",
                "decision": "APPROVE",
                "evidence": given,
            }
        }
        response = await client.post(
            "/graphql",
            json={"query": PERFORM, "variables": variables},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        payload = response.json()["data"]["performStage"]
        assert payload["__typename"] == "ApplicationSuccess", payload
        assert payload["application"]["currentStage"]["code"] == "village_notice"
        seen = [s.split(None, 1)[0].upper() for s in statements]
    # Sorted: the ORM's flush orders unrelated tables as it likes.
    assert sorted(seen) == sorted(EXPECTED[database.backend]), statements
