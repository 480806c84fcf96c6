"""Hot reads on asyncpg directly (api/db/direct.py) give SQLAlchemy's rows: the same
values, processed the same way (enums, UTC instants, money, nulls), under the same names.
On SQLite, and in a transaction, ``direct.rows`` is ``session.execute``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Float, Integer, bindparam, event, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import Select

from api.db import direct, models
from api.db.repositories import applications as application_repo
from api.db.repositories import households as household_repo
from api.db.repositories import jurisdictions as jurisdiction_repo
from api.db.repositories.scoping import scope_shape, scope_values, subtree_values
from api.db.session import create_engine, read_session_factory, session_factory
from api.db.statements import arrays
from api.db.views import values_of
from api.domain.jurisdictions import prefix_range
from api.domain.procedures import Decision
from api.domain.register import IncomeKind
from api.domain.roles import Principal, Role
from api.services import ledger
from tests import factories
from tests.conftest import Database, fresh_database

VILLAGE = f"{factories.PROVINCE}0101101001"
COUNTY = VILLAGE[:6]
AT = datetime(2016, 11, 2, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("direct"), "direct") as url:
        yield url


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        if await session.get(models.Jurisdiction, VILLAGE) is None:
            await _fill(session)
    yield engine
    await engine.dispose()


async def _fill(session: AsyncSession) -> None:
    await factories.units(session, VILLAGE)
    for n in range(3):
        household = await factories.household(session, VILLAGE, phone=f"1380000000{n}")
        await factories.member(session, household)
        await factories.member(session, household, left_year=2015 + n)
        await factories.income(session, household, 2016, IncomeKind.WAGE, "3200.50")
        if n:
            await factories.income(session, household, 2016, IncomeKind.COST, "100.25")
    version = models.ProcedureVersion(
        code="test", version=1, digest="0" * 64, definition={}, registered_at=AT
    )
    session.add(version)
    await session.flush()
    listed = models.ExitList(
        procedure_version_id=version.id,
        subject_kind="household",
        unit_code=VILLAGE,
        year=2016,
        created_by="test",
        created_at=AT,
    )
    session.add(listed)
    await session.flush()
    application = models.ExitApplication(
        procedure_version_id=version.id,
        list_id=listed.id,
        subject_kind="household",
        subject_key=household.registry_no,
        unit_code=VILLAGE,
        year=2016,
        stage="village_notice",
        status="in_progress",
        notice_started_at=AT,
        created_at=AT,
        updated_at=AT,
        row_version=1,
    )
    session.add(application)
    await session.flush()
    actor = {"actor_role": "village_committees", "actor_jurisdiction": VILLAGE, "at": AT}
    session.add_all(
        [
            models.StageRecord(
                application_id=application.id,
                stage="application",
                action="perform",
                decision=Decision.APPROVE,
                actor_subject="a",
                **actor,
            ),
            models.StageRecord(
                application_id=application.id,
                stage="village_notice",
                action="post_notice",
                reason="公示",
                actor_subject="b",
                **actor,
            ),
        ]
    )


async def _statements(session: AsyncSession) -> list[tuple[str, Select[Any], dict[str, Any]]]:
    scope = Principal("test:direct", Role.COUNTY_LEADING_GROUP, COUNTY).read_scope()
    shape, bounds, array = scope_shape(scope), scope_values(scope), arrays(session)
    ids = list(await session.scalars(select(models.Household.id)))
    registry = list(await session.scalars(select(models.Household.registry_no)))
    applications = list(await session.scalars(select(models.ExitApplication.id)))
    page = bounds | subtree_values(COUNTY, "under") | {"limit": 10, "year": 2016}
    waiting = (("test", "household", "village_notice", None, False),)
    return [
        ("page", household_repo._page(shape, filtered=False, after=False, figures=True), page),
        (
            "page after",
            household_repo._page(shape, filtered=False, after=True, figures=False),
            page | {"after_code": VILLAGE, "after_id": ids[0]},
        ),
        ("by ids", household_repo._by_ids(shape, array), bounds | {"ids": ids}),
        (
            "with units and members",
            household_repo._by_ids_with_units(shape, array, True),
            bounds | {"ids": ids},
        ),
        ("by registry", household_repo._by_registry_nos(shape, array), bounds | {"keys": registry}),
        ("members", household_repo._members(array), {"ids": ids}),
        ("records", application_repo._records(array), {"ids": applications}),
        (
            "waiting",
            application_repo._waiting_on(shape, waiting, True),
            bounds | {"first": 20},
        ),
        ("units", jurisdiction_repo._by_codes(array), {"codes": [COUNTY, VILLAGE, "00"]}),
        (
            "a step's application and history",
            application_repo._for_step_query(len(scope.prefixes), scope.everything),
            _step_bounds(scope) | {"application_id": applications[0]},
        ),
    ]


def _step_bounds(scope: Any) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for index, prefix in enumerate(scope.prefixes):
        found = prefix_range(prefix)
        bounds |= {f"low_{index}": found.low, f"high_{index}": found.high}
    return bounds


async def test_direct_rows_are_sqlalchemys(engine: AsyncEngine) -> None:
    read_directly = engine.dialect.name == "postgresql"
    async with read_session_factory(engine)() as session:
        for name, statement, values in await _statements(session):
            expected = (await session.execute(statement, values)).all()
            got = await direct.rows(session, statement, values)
            assert expected, f"{name}: nothing to compare"
            assert [tuple(row) for row in got] == [tuple(row) for row in expected], name
            for ours, theirs in zip(got, expected, strict=True):
                assert [type(v) for v in ours] == [type(v) for v in theirs], name
            assert dict(values_of(got[0])) == dict(values_of(expected[0])), name
            assert (type(got[0]) is not type(expected[0])) is read_directly, name
    # What the comparison covered: money, nulls, UTC instants and enums among them.
    async with read_session_factory(engine)() as session:
        page = (await _statements(session))[0]
        rows = await direct.rows(session, page[1], page[2])
    assert {values_of(row)["figure_net"] for row in rows} == {
        Decimal("3200.50"),
        Decimal("3100.25"),
    }


async def test_in_a_transaction_sqlalchemy_runs_the_statement(engine: AsyncEngine) -> None:
    statement = jurisdiction_repo._by_codes(engine.dialect.name == "postgresql")
    async with session_factory(engine)() as session, session.begin():
        rows = await direct.rows(session, statement, {"codes": [COUNTY]})
    assert [row.code for row in rows] == [COUNTY]
    assert type(rows[0]).__module__.startswith("sqlalchemy")


async def test_an_expanding_list_goes_through_sqlalchemy(engine: AsyncEngine) -> None:
    table = models.Jurisdiction.__table__
    statement = select(table.c.code).where(table.c.code.in_([COUNTY, VILLAGE]))
    async with read_session_factory(engine)() as session:
        rows = await direct.rows(session, statement, {})
    assert sorted(row.code for row in rows) == [COUNTY, VILLAGE]
    assert type(rows[0]).__module__.startswith("sqlalchemy")


async def test_statements_listened_for_go_through_sqlalchemy(engine: AsyncEngine) -> None:
    """Statement listeners (and echo) see every statement: direct reads step aside."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    statement = jurisdiction_repo._by_codes(engine.dialect.name == "postgresql")
    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with read_session_factory(engine)() as session:
            rows = await direct.rows(session, statement, {"codes": [COUNTY]})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)
    assert [row.code for row in rows] == [COUNTY]
    assert any("FROM jurisdictions" in s for s in seen)


async def test_a_failed_statement_keeps_a_sound_connection(engine: AsyncEngine) -> None:
    statement = select((literal(1, Integer) / bindparam("zero", type_=Integer)).label("x"))
    async with read_session_factory(engine)() as session:
        if engine.dialect.name == "postgresql":
            with pytest.raises(asyncpg.DivisionByZeroError):
                await direct.rows(session, statement, {"zero": 0})
        else:
            assert (await direct.rows(session, statement, {"zero": 0}))[0].x is None  # SQLite
        connection = await session.connection()
        assert not connection.invalidated
        assert [row.x for row in await direct.rows(session, statement, {"zero": 1})] == [1]


async def test_a_cancelled_read_invalidates_its_connection(engine: AsyncEngine) -> None:
    """Cancelled midway (a sibling field failed), the connection's state is in doubt:
    it is not given back to the pool as it is."""
    if engine.dialect.name != "postgresql":  # session.execute: SQLAlchemy's own handling
        async with read_session_factory(engine)() as session:
            rows = await direct.rows(session, select(literal(1).label("one")), {})
        assert type(rows[0]).__module__.startswith("sqlalchemy")
        return
    statement = select(func.pg_sleep(bindparam("seconds", type_=Float)).label("slept"))
    async with read_session_factory(engine)() as session:
        connection = await session.connection()
        task = asyncio.ensure_future(direct.rows(session, statement, {"seconds": 5.0}))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert connection.invalidated


async def test_statements_logged_go_through_sqlalchemy(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    statement = jurisdiction_repo._by_codes(engine.dialect.name == "postgresql")
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        async with read_session_factory(engine)() as session:
            rows = await direct.rows(session, statement, {"codes": [COUNTY]})
    assert [row.code for row in rows] == [COUNTY]
    assert any("FROM jurisdictions" in record.getMessage() for record in caplog.records)


async def test_a_step_reads_its_application_detached_and_writes_what_changed(
    engine: AsyncEngine,
) -> None:
    """On PostgreSQL's autocommit sessions the step's read runs on the driver: the
    application comes back detached, equal to the ORM's, and what the step then changes
    is what ``write_step`` writes (guarded by the row version). Elsewhere it is the
    session's own, for the flush."""
    scope = Principal("test:direct", Role.COUNTY_LEADING_GROUP, COUNTY).read_scope()
    postgres = engine.dialect.name == "postgresql"
    async with session_factory(engine)() as session:
        application_id = await session.scalar(select(models.ExitApplication.id))
        assert application_id is not None
        loaded = await session.get(models.ExitApplication, application_id)
        assert loaded is not None
        expected = {
            key: getattr(loaded, key) for key, _ in application_repo._APPLICATION_ATTRIBUTES
        }
    async with read_session_factory(engine)() as session:
        found = await application_repo.for_step(session, application_id, scope=scope)
        assert found is not None
        application = found.application
        got = {key: getattr(application, key) for key in expected}
        assert got == expected
        assert [(e.stage, e.action) for e in found.history] == [
            ("application", "perform"),
            ("village_notice", "post_notice"),
        ]
        assert (application not in session) is postgres
        if not postgres:
            return
        application.stage = "township_review"
        written = await application_repo.write_step(
            session,
            application,
            record=_record(application),
            evidence=[],
            audit=_audit(application),
        )
        assert written
        assert application.row_version == expected["row_version"] + 1
    async with session_factory(engine)() as session:
        stored = await session.get(models.ExitApplication, application_id)
        assert stored is not None
        assert (stored.stage, stored.row_version) == ("township_review", application.row_version)
    # An application read before that write: its row version moved, so nothing is written.
    async with read_session_factory(engine)() as session:
        stale = await application_repo.for_step(session, application_id, scope=scope)
        assert stale is not None
        stale.application.row_version -= 1
        stale.application.stage = "county_review"
        assert not await application_repo.write_step(
            session,
            stale.application,
            record=_record(stale.application),
            evidence=[],
            audit=_audit(stale.application),
        )
    async with session_factory(engine)() as session:
        stored = await session.get(models.ExitApplication, application_id)
        assert stored is not None
        assert stored.stage == "township_review"


def _record(application: models.ExitApplication) -> dict[str, Any]:
    return {
        "stage": application.stage,
        "action": "perform",
        "decision": Decision.APPROVE,
        "return_to": None,
        "reason": None,
        "actor_subject": "c",
        "actor_role": "township_government",
        "actor_jurisdiction": VILLAGE[:9],
        "at": AT,
    }


def _audit(application: models.ExitApplication) -> dict[str, Any]:
    return ledger.event(
        actor=Principal("c", Role.TOWNSHIP_GOVERNMENT, VILLAGE[:9]),
        action="perform",
        object_kind="application",
        object_id=application.id,
        unit_code=VILLAGE,
        at=AT,
        detail={"stage": application.stage},
    )
