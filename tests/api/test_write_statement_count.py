"""performStage over HTTP runs a pinned number of SQL statements: on PostgreSQL the
holding check at the request's start, one read (the application, its procedure's digest,
the policy version and its history) and one write (the application, its stage record,
its evidence, the ledger event and its chain entry), outside any transaction of its
own, so without BEGIN and COMMIT. More would be a regression of the write path. With an idempotency
key, the step commits in one transaction with the key's record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.db import models
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

PERFORM = """mutation($input: PerformStageInput!, $key: String) {
  performStage(input: $input, idempotencyKey: $key) {
  __typename ... on ApplicationSuccess { application { id currentStage { code } } }
  ... on Error { message } } }"""

EXPECTED = {
    # the read; the one-statement write, which commits by itself (no BEGIN, no COMMIT).
    # The request's holding check reads nothing: the policy watch keeps its version.
    "postgresql": ["SELECT", "WITH"],
    # the same, each transaction with its explicit BEGIN, and the ORM's flush for the write:
    # the application, its record, each piece of evidence, the ledger event; then the
    # chain's two heads (global, the application's) and its entries in one insert; one COMMIT
    "sqlite": [
        *["BEGIN", "SELECT", "BEGIN", "SELECT", "UPDATE", *["INSERT"] * 4],
        *["SELECT", "SELECT", "INSERT", "COMMIT"],
    ],
}


async def _proposed(url: str, name: str) -> tuple[list[int], Principal]:
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
            committee = await official(session, Role.VILLAGE_COMMITTEES, VILLAGE, f"{name}-c")
            team = await official(session, Role.RESIDENT_WORK_TEAM, VILLAGE, f"{name}-team")
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


Seen = list[tuple[int, str]]
"""(connection, statement) per statement sent, "COMMIT" per commit."""


@pytest.fixture
async def counted(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Seen]]:
    app = create_app(settings)
    statements: Seen = []
    async with app.router.lifespan_context(app):

        def count(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append((id(conn.connection.dbapi_connection), statement))

        def commit(conn: Any) -> None:
            statements.append((id(conn.connection.dbapi_connection), "COMMIT"))

        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        event.listen(app.state.engine.sync_engine, "commit", commit)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client, statements


async def _perform(
    client: httpx.AsyncClient, bearer: str, application_id: int, key: str | None = None
) -> dict[str, Any]:
    kinds = (EvidenceKind.VERIFICATION_RECORD, EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT)
    variables: dict[str, Any] = {
        "input": {
            "applicationId": to_base64("ExitApplication", application_id),
            "stage": "verification",
            "decision": "APPROVE",
            "evidence": [
                {"kind": e.kind.name, "reference": e.reference, "sha256": e.sha256}
                for e in evidence(*kinds)
            ],
        },
        "key": key,
    }
    response = await client.post(
        "/graphql",
        json={"query": PERFORM, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    payload: dict[str, Any] = response.json()["data"]["performStage"]
    return payload


def _first_words(statements: Seen) -> list[str]:
    return [statement.split(None, 1)[0].upper() for _, statement in statements]


async def test_perform_stage_runs_a_pinned_number_of_statements(
    counted: tuple[httpx.AsyncClient, Seen], settings: Settings, database: Database
) -> None:
    client, statements = counted
    ids, team = await _proposed(settings.database_url, "count")
    bearer = issue_dev_token(team, key=KEY, ttl=timedelta(minutes=10))
    # The first request warms what a running server has cached (the caller's holding).
    for application_id in ids:
        statements.clear()
        payload = await _perform(client, bearer, application_id)
        assert payload["__typename"] == "ApplicationSuccess", payload
        assert payload["application"]["currentStage"]["code"] == "village_notice"
    # Sorted: the ORM's flush orders unrelated tables as it likes.
    assert sorted(_first_words(statements)) == sorted(EXPECTED[database.backend]), statements


async def test_with_an_idempotency_key_the_step_commits_with_its_record(
    counted: tuple[httpx.AsyncClient, Seen], settings: Settings, database: Database
) -> None:
    client, statements = counted
    (application_id, _), team = await _proposed(settings.database_url, "keyed")
    bearer = issue_dev_token(team, key=KEY, ttl=timedelta(minutes=10))
    statements.clear()
    first = await _perform(client, bearer, application_id, key="retry-me")
    assert first["__typename"] == "ApplicationSuccess", first
    writes = [
        (conn, statement)
        for conn, statement in statements
        if _first_words([(conn, statement)])[0] in ("WITH", "UPDATE", "INSERT", "COMMIT")
    ]
    assert any("idempotency_records" in statement for _, statement in writes), statements
    # The step, the key's record and the commit on one connection: one transaction.
    assert len({conn for conn, _ in writes}) == 1, writes
    assert writes[-1][1] == "COMMIT", writes
    again = await _perform(client, bearer, application_id, key="retry-me")
    assert again == first
    assert await _verifications(settings.database_url, application_id) == 1


async def _verifications(url: str, application_id: int) -> int:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(models.StageRecord)
                    .where(
                        models.StageRecord.application_id == application_id,
                        models.StageRecord.stage == "verification",
                    )
                )
                or 0
            )
    finally:
        await engine.dispose()
