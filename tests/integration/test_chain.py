"""The hash chain over decision records, on both backends: what the procedures write is
chained as it commits (globally and per application), the decision tables refuse
UPDATE and DELETE, and every way someone with database access could alter the history
(a rewritten record or piece of evidence, a removed or inserted row, a rewritten or
removed entry, a cut tail) is found by ``verify``, which names the first broken link.

The tampering tests switch the triggers off inside a transaction they roll back, as an
administrator would; the chained database stays as the procedures left it."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db import models
from api.db.chain import head_of, verify
from api.db.models import ChainEntry
from api.db.session import create_engine, read_session_factory
from api.demo.generator import DemoData
from api.demo.loader import load
from api.domain.chain import GENESIS, sha256
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import IncomeKind, SubjectKind
from api.domain.roles import Role
from api.errors import Conflict
from api.procedure_files import book
from api.services import exits
from api.services.ledger_command import verify_ledger
from tests import factories as f
from tests.conftest import Database, _pg_admin, fresh_database
from tests.integration.test_procedures import at_notice, propose_households
from tests.integration.test_register_files_cli import _tuopin
from tests.scenarios import Cast, env, evidence, household_village, later, official, walk


@dataclass(frozen=True)
class Chained:
    backend: str
    url: str
    exited: int
    objected: int
    objection: int


@pytest.fixture(scope="module")
def chained_url(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("chain"), "chain") as url:
        yield database.backend, url


@pytest.fixture(scope="module")
async def chained(chained_url: tuple[str, str], demo_data: DemoData) -> Chained:
    """The demo, then committed work: a household walked to its exit in Lanshan (a
    spot check included), one objected to at its notice in Heilongjiang, the objection
    dismissed."""
    backend, url = chained_url
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await load(session, demo_data)
        async with AsyncSession(engine, expire_on_commit=False) as session:
            cast = Cast(session)
            # Lanshan's household procedure has the township's spot check.
            walked = await household_village(session, "371302101")
            e, proposed = await propose_households(session, walked, cast)
            first = proposed.applications[0]
            await session.commit()
            flow = book().for_unit(walked).for_kind(SubjectKind.HOUSEHOLD)
            e = await walk(e, cast, first, flow)
            await session.commit()
            village = await household_village(session)
            e, second, _ = await at_notice(session, cast, village)
            team = await cast.pick(Role.RESIDENT_WORK_TEAM, village)
            objection = await exits.raise_objection(
                later(e, days=2), None, application_id=second.id, content="收入未如实申报"
            )
            await session.commit()
            await exits.resolve_objection(
                later(e, days=3),
                team,
                objection_id=objection.id,
                upheld=False,
                resolution="经再核实，收入属实",
            )
            await session.commit()
            return Chained(backend, url, first.id, second.id, objection.id)
    finally:
        await engine.dispose()


@pytest.fixture
async def admin(chained: Chained) -> AsyncIterator[AsyncSession]:
    """A session of someone with database access, triggers off; rolled back after."""
    engine = create_engine(chained.url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            session = AsyncSession(bind=connection)
            try:
                await _triggers_off(session)
                yield session
            finally:
                await session.close()
                await transaction.rollback()
    finally:
        await engine.dispose()


TAMPERED = ("stage_records", "evidence", "chain_entries", "objections", "spot_check_subjects")


async def _triggers_off(session: AsyncSession) -> None:
    backend = session.get_bind().dialect.name
    for table in TAMPERED:
        if backend == "postgresql":
            await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            continue
        names = await session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        )
        for name in list(names):
            await session.execute(text(f"DROP TRIGGER {name}"))


async def _entry_of(session: AsyncSession, fact: str, record_id: int) -> int:
    seq = await session.scalar(
        select(ChainEntry.seq).where(ChainEntry.fact == fact, ChainEntry.record_id == record_id)
    )
    assert seq is not None
    return seq


async def _a_record(session: AsyncSession, application_id: int, action: str) -> int:
    found = await session.scalar(
        select(func.min(models.StageRecord.id)).where(
            models.StageRecord.application_id == application_id,
            models.StageRecord.action == action,
        )
    )
    assert found is not None
    return int(found)


# ---------------------------------------------------------------- what is chained


async def test_every_decision_record_is_chained_and_the_chain_holds(chained: Chained) -> None:
    verified = await verify_ledger(chained.url)
    assert verified.broken is None, verified.broken
    engine = create_engine(chained.url)
    try:
        async with AsyncSession(engine) as session:
            facts = dict(
                (
                    await session.execute(
                        select(ChainEntry.fact, func.count()).group_by(ChainEntry.fact)
                    )
                ).all()
            )
            records = await session.scalar(select(func.count()).select_from(models.StageRecord))
            assert facts["stage_record"] == records
            assert facts["objection"] == 1
            assert facts["objection_resolution"] == 1
            assert facts["spot_check"] >= 1
            assert facts["spot_check_finding"] >= 1
            assert verified.entries == sum(facts.values())
            head = await session.scalar(
                select(ChainEntry.entry_sha256).order_by(ChainEntry.seq.desc()).limit(1)
            )
            assert verified.head == head
            # Each application's chain: its own entries, linked in order from GENESIS.
            for application_id in (chained.exited, chained.objected):
                entries = list(
                    await session.scalars(
                        select(ChainEntry)
                        .where(ChainEntry.application_id == application_id)
                        .order_by(ChainEntry.seq)
                    )
                )
                assert entries[0].prev_app == GENESIS
                for before, after in itertools.pairwise(entries):
                    assert after.prev_app == before.entry_sha256
                cited = await head_of(session, application_id)
                assert cited is not None
                assert (cited.seq, cited.entry_sha256, cited.entries) == (
                    entries[-1].seq,
                    entries[-1].entry_sha256,
                    len(entries),
                )
            assert await head_of(session, 10**12) is None
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE stage_records SET reason = 'rewritten' WHERE id = :record",
        "DELETE FROM stage_records WHERE id = :record",
        "UPDATE evidence SET sha256 = 'ab' WHERE stage_record_id = :record",
        "DELETE FROM evidence WHERE stage_record_id = :record",
        "UPDATE chain_entries SET fact = fact WHERE seq = 1",
        "UPDATE chain_entries SET content = '{}' WHERE seq = 1",
        "DELETE FROM chain_entries WHERE seq = 1",
        "UPDATE objections SET resolution = 'rewritten' WHERE id = :objection",
        "DELETE FROM objections WHERE id = :objection",
        "UPDATE spot_check_subjects SET note = 'rewritten' WHERE result IS NOT NULL",
        "DELETE FROM spot_checks",
    ],
)
async def test_decision_tables_refuse_update_and_delete(chained: Chained, statement: str) -> None:
    engine = create_engine(chained.url)
    try:
        async with AsyncSession(engine) as session:
            record = await _a_record(session, chained.exited, "perform")
            before = await session.scalar(select(func.count()).select_from(ChainEntry))
            with pytest.raises(DBAPIError, match=r"insert-only|written once"):
                await session.execute(
                    text(statement), {"record": record, "objection": chained.objection}
                )
            await session.rollback()
            assert await session.scalar(select(func.count()).select_from(ChainEntry)) == before
        assert (await verify_ledger(chained.url)).broken is None
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- tampering is found


async def test_a_rewritten_stage_record_is_found(chained: Chained, admin: AsyncSession) -> None:
    record = await _a_record(admin, chained.exited, "perform")
    await admin.execute(
        text("UPDATE stage_records SET reason = 'nothing to see' WHERE id = :id"), {"id": record}
    )
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq == await _entry_of(admin, "stage_record", record)
    assert f"stage_records row {record} no longer holds what was chained" in str(verified.broken)


async def test_rewritten_evidence_is_found(chained: Chained, admin: AsyncSession) -> None:
    record = await _a_record(admin, chained.exited, "perform")
    await admin.execute(
        text("UPDATE evidence SET sha256 = :h WHERE stage_record_id = :id"),
        {"h": "f" * 64, "id": record},
    )
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq == await _entry_of(admin, "stage_record", record)


async def test_a_reopened_objection_is_found(chained: Chained, admin: AsyncSession) -> None:
    await admin.execute(
        text("UPDATE objections SET resolution = '改写' WHERE id = :id"), {"id": chained.objection}
    )
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq == await _entry_of(admin, "objection_resolution", chained.objection)


async def test_a_removed_record_is_found(chained: Chained, admin: AsyncSession) -> None:
    record = await _a_record(admin, chained.exited, "perform")
    await admin.execute(text("DELETE FROM evidence WHERE stage_record_id = :id"), {"id": record})
    await admin.execute(text("DELETE FROM stage_records WHERE id = :id"), {"id": record})
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq == await _entry_of(admin, "stage_record", record)
    assert "is gone" in verified.broken.reason


async def test_a_record_inserted_without_its_entry_is_found(
    chained: Chained, admin: AsyncSession
) -> None:
    record = await _a_record(admin, chained.exited, "perform")
    await admin.execute(
        text(
            "INSERT INTO stage_records (application_id, stage, action, decision, return_to, "
            "reason, actor_subject, actor_role, actor_jurisdiction, at) SELECT application_id, "
            "stage, action, decision, return_to, reason, actor_subject, actor_role, "
            "actor_jurisdiction, at FROM stage_records WHERE id = :id"
        ),
        {"id": record},
    )
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq is None
    assert "has no chain entry" in verified.broken.reason


async def test_a_removed_entry_breaks_the_links_after_it(
    chained: Chained, admin: AsyncSession
) -> None:
    second = await admin.scalar(select(ChainEntry.seq).order_by(ChainEntry.seq).offset(1).limit(1))
    await admin.execute(text("DELETE FROM chain_entries WHERE seq = :s"), {"s": second})
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq is not None
    assert verified.broken.seq > second
    assert "does not link to the entry before it" in verified.broken.reason
    assert verified.entries == 1


async def test_an_entry_rewritten_to_match_a_rewritten_record_is_found(
    chained: Chained, admin: AsyncSession
) -> None:
    """Whoever rewrites a record and its entry's content (and its content hash) still
    breaks the entry's own hash, or, recomputing that too, the next entry's link."""
    record = await _a_record(admin, chained.exited, "perform")
    seq = await _entry_of(admin, "stage_record", record)
    await admin.execute(
        text("UPDATE stage_records SET reason = 'x' WHERE id = :id"), {"id": record}
    )
    entry = await admin.get(ChainEntry, seq)
    assert entry is not None
    content = entry.content.replace('"reason":null', '"reason":"x"')
    assert content != entry.content
    await admin.execute(
        text("UPDATE chain_entries SET content = :c, content_sha256 = :h WHERE seq = :s"),
        {"c": content, "h": sha256(content), "s": seq},
    )
    verified = await verify(admin)
    assert verified.broken is not None
    assert verified.broken.seq == seq
    assert "entry_sha256 is not the hash" in verified.broken.reason


# ---------------------------------------------------------------- the command


@pytest.fixture
def copied(chained: Chained, tmp_path: Path) -> Iterator[str]:
    """A copy of the chained database to tamper with for good."""
    if chained.backend == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        shutil.copy(chained.url.removeprefix("sqlite+aiosqlite:///"), copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    original = make_url(chained.url).database
    name = f"tuopin_chain_copy_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{original}"'))
    try:
        yield make_url(chained.url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _tamper(url: str, *statements: str) -> None:
    """Run ``statements`` as an administrator would: the decision tables' triggers off."""
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await _triggers_off(session)
            for statement in statements:
                await session.execute(text(statement))
    finally:
        await engine.dispose()


async def test_ledger_verify_command_exits_1_at_the_first_broken_link(
    copied: str, tmp_path: Path
) -> None:
    good = _tuopin("ledger", "verify", url=copied, cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "ledger holds:" in good.stdout
    head = good.stdout.split("head ")[1].split()[0]
    assert len(head) == 64
    cited = _tuopin("ledger", "verify", "--head", head, url=copied, cwd=tmp_path)
    assert cited.returncode == 0, cited.stderr

    # Cut the tail: the last transaction (the objection's resolution and its stage
    # record), its entries and its rows, as if it never happened.
    engine = create_engine(copied)
    try:
        async with AsyncSession(engine) as session:
            last = await session.execute(
                select(ChainEntry.fact).order_by(ChainEntry.seq.desc()).limit(2)
            )
            assert sorted(last.scalars()) == ["objection_resolution", "stage_record"]
    finally:
        await engine.dispose()
    await _tamper(
        copied,
        "UPDATE objections SET outcome = NULL, resolution = NULL, resolved_by = NULL, "
        "resolved_at = NULL WHERE id IN (SELECT record_id FROM chain_entries "
        "WHERE fact = 'objection_resolution' "
        "AND seq > (SELECT max(seq) - 2 FROM chain_entries))",
        "DELETE FROM evidence WHERE stage_record_id IN (SELECT record_id FROM chain_entries "
        "WHERE fact = 'stage_record' AND seq > (SELECT max(seq) - 2 FROM chain_entries))",
        "DELETE FROM stage_records WHERE id IN (SELECT record_id FROM chain_entries "
        "WHERE fact = 'stage_record' AND seq > (SELECT max(seq) - 2 FROM chain_entries))",
        "DELETE FROM chain_entries WHERE seq > (SELECT max(seq) - 2 FROM chain_entries)",
    )
    consistent = _tuopin("ledger", "verify", url=copied, cwd=tmp_path)
    assert consistent.returncode == 0, "a cut tail alone is consistent: the cited head shows it"
    cut = _tuopin("ledger", "verify", "--head", head, url=copied, cwd=tmp_path)
    assert cut.returncode == 1
    assert f"the cited head {head} is not in the chain" in cut.stderr

    await _tamper(copied, "UPDATE stage_records SET reason = 'rewritten' WHERE id = 1")
    engine = create_engine(copied)
    try:
        async with AsyncSession(engine) as session:
            entry = await _entry_of(session, "stage_record", 1)
    finally:
        await engine.dispose()
    broken = _tuopin("ledger", "verify", url=copied, cwd=tmp_path)
    assert broken.returncode == 1
    assert f"entry {entry}: stage_records row 1 no longer holds what was chained" in broken.stderr
    assert "Traceback" not in broken.stderr


# ---------------------------------------------------------------- concurrent appends


async def test_concurrent_steps_append_one_line_of_entries(chained: Chained) -> None:
    """Eight steps at once, half of them as the server runs them (one statement on
    PostgreSQL, chained inside it): every entry links to the one before it, no fork.
    Runs last: it extends the chain the tests above read."""
    village = "239701001001"  # fictional: no other test meets it
    engine = create_engine(chained.url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await f.units(session, village)
            keys = []
            for _ in range(8):
                household = await f.household(session, village)
                await f.member(session, household)
                await f.income(session, household, 2016, IncomeKind.WAGE, "5000")
                await f.assessment(session, household, 2016)
                keys.append(household.registry_no)
            committee = await official(session, Role.VILLAGE_COMMITTEES, village, "chain-c")
            team = await official(session, Role.RESIDENT_WORK_TEAM, village, "chain-team")
            proposed = await exits.propose(
                env(session),
                committee,
                kind=SubjectKind.HOUSEHOLD,
                unit_code=village,
                year=2016,
                subjects=keys,
                evidence=evidence(EvidenceKind.ASSEMBLY_MINUTES),
            )
            ids = [a.id for a in proposed.applications]
        before = await _entries(engine)

        async def step(index: int, application_id: int) -> None:
            # SQLite has one writer: a step that loses the race is told to retry, and does.
            for _ in range(50):
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    try:
                        async with session.begin():
                            e = env(session)
                            if index % 2:
                                e = replace(e, autocommit=read_session_factory(engine))
                            await exits.perform(
                                e,
                                team,
                                application_id=application_id,
                                stage="verification",
                                decision=Decision.APPROVE,
                                evidence=evidence(
                                    EvidenceKind.VERIFICATION_RECORD,
                                    EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT,
                                ),
                            )
                        return
                    except Conflict:
                        await asyncio.sleep(0.05)
            raise AssertionError(f"step {index} never got through")

        await asyncio.wait_for(asyncio.gather(*(step(i, a) for i, a in enumerate(ids))), 60)
        assert await _entries(engine) == before + 8
        async with AsyncSession(engine) as session:
            links = list(await session.scalars(select(ChainEntry.prev_global)))
            assert len(links) == len(set(links)), "two entries link to one predecessor"
    finally:
        await engine.dispose()
    verified = await verify_ledger(chained.url)
    assert verified.broken is None, verified.broken


async def _entries(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(ChainEntry)) or 0)
