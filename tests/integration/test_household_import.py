"""Importing the register: good rows load, bad rows are reported, a second run changes
nothing, atomic runs load all or none, and export then import is lossless."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import models
from api.domain.register_file import HEADERS, parse
from api.domain.roles import Role
from api.errors import NotPermitted, ValidationFailed
from api.services import household_import, register_export, tables
from tests.register_rows import id_number, register_row
from tests.scenarios import env, household_village, official
from tests.statistics_check import assert_kept_equal_a_rebuild

NOW = datetime(2016, 12, 1, tzinfo=UTC)


def _id(n: int) -> str:
    return id_number("230231", n)


def _row(village: str, key: str, n: int, **cells: str) -> list[str]:
    return register_row(key, village, n, **cells)


def _numbered(rows: list[list[str]]) -> list[tuple[int, dict[str, str]]]:
    return [(n, dict(zip(HEADERS, r, strict=True))) for n, r in enumerate(rows, start=2)]


async def _run(
    session: AsyncSession,
    rows: list[list[str]],
    *,
    atomic: bool = False,
    dry_run: bool = False,
    may_write: household_import.VillageCheck = lambda _: True,
) -> household_import.ImportReport:
    return await household_import.import_households(
        session,
        parse(_numbered(rows)),
        actor="test",
        now=NOW,
        may_write=may_write,
        atomic=atomic,
        dry_run=dry_run,
    )


async def _counts(session: AsyncSession) -> tuple[int, ...]:
    tables_ = (models.Household, models.Member, models.OutboxEvent, models.AuditEvent)
    return tuple(
        [int(await session.scalar(select(func.count()).select_from(t)) or 0) for t in tables_]
    )


def _mixed(village: str) -> list[list[str]]:
    return [
        _row(village, "IMP-1", 1),
        _row(village, "IMP-1", 2, 户主姓名="新户1", 姓名="配偶2", 与户主关系="配偶"),
        _row(village, "IMP-2", 3, 证件号码=_id(3)[:-1] + ("0" if _id(3)[-1] != "0" else "1")),
        _row(village, "IMP-3", 4),
        _row("999999999999", "IMP-4", 5),  # no such village
    ]


async def test_good_rows_load_bad_rows_are_reported_and_a_second_run_changes_nothing(
    session: AsyncSession,
) -> None:
    village = await household_village(session)
    before = await _counts(session)
    report = await _run(session, _mixed(village))
    assert (report.created, report.updated, report.rejected, report.written) == (2, 0, 2, True)
    assert [(e.row, e.column) for e in report.errors] == [(4, "证件号码"), (6, "行政区划代码")]
    members = await session.scalar(
        select(func.count())
        .select_from(models.Member)
        .join(models.Household)
        .where(models.Household.registry_no == "IMP-1")
    )
    assert members == 2
    after = await _counts(session)
    assert after[:2] == (before[0] + 2, before[1] + 3)

    again = await _run(session, _mixed(village))
    assert (again.created, again.updated, again.unchanged, again.written) == (0, 0, 2, False)
    assert await _counts(session) == after  # no rows, no events, no ledger entry
    await assert_kept_equal_a_rebuild(session)  # the new households counted, once


async def test_atomic_loads_nothing_when_any_row_is_bad_and_dry_run_never_writes(
    session: AsyncSession,
) -> None:
    village = await household_village(session)
    before = await _counts(session)
    atomic = await _run(session, _mixed(village), atomic=True)
    assert (atomic.created, atomic.written, len(atomic.errors)) == (2, False, 2)
    dry = await _run(session, [_row(village, "IMP-9", 9)], dry_run=True)
    assert (dry.created, dry.written) == (1, False)
    assert await _counts(session) == before
    good = await _run(session, [_row(village, "IMP-9", 9)], atomic=True)
    assert good.written


async def test_a_member_change_updates_the_household_and_tells_the_national_system(
    session: AsyncSession,
) -> None:
    village = await household_village(session)
    await _run(session, [_row(village, "IMP-5", 11)])
    report = await _run(
        session,
        [
            _row(village, "IMP-5", 11, 联系电话="13900000000"),
            _row(
                village,
                "IMP-5",
                12,
                户主姓名="新户11",
                联系电话="13900000000",
                姓名="新生儿",
                与户主关系="子女",
                文化程度="学龄前儿童",
            ),
        ],
    )
    assert (report.updated, report.written) == (1, True)
    event = await session.scalar(
        select(models.OutboxEvent)
        .where(models.OutboxEvent.subject_key == "IMP-5")
        .order_by(models.OutboxEvent.position.desc())
    )
    assert event is not None
    assert event.kind == "household_members_changed"
    assert event.payload["added"] == [_id(12)]
    assert event.payload["exitAttribute"] == "not_exited"
    household = await session.scalar(
        select(models.Household).where(models.Household.registry_no == "IMP-5")
    )
    assert household is not None
    assert household.phone == "13900000000"
    await assert_kept_equal_a_rebuild(session)  # the new member counted

    removed = await _run(session, [_row(village, "IMP-5", 11, 联系电话="13900000000")])
    assert removed.updated == 1
    last = await session.scalar(
        select(models.OutboxEvent.payload)
        .where(models.OutboxEvent.subject_key == "IMP-5")
        .order_by(models.OutboxEvent.position.desc())
    )
    assert last is not None
    assert last["removed"] == [_id(12)]
    await assert_kept_equal_a_rebuild(session)


async def test_what_the_procedures_own_is_never_imported_over(session: AsyncSession) -> None:
    village = await household_village(session)
    await _run(session, [_row(village, "IMP-6", 21)])
    exited = _row(village, "IMP-6", 21, 脱贫属性="已脱贫（享受政策）", 脱贫年度="2016")
    report = await _run(session, [exited])
    assert [(e.column, e.reason.split(";")[0]) for e in report.errors] == [
        ("脱贫属性", "is not_exited in the register"),
        ("脱贫年度", "is empty in the register"),
    ]
    assert not report.written
    moved = await _run(session, [_row(village[:-1] + "2", "IMP-6", 21)])
    assert moved.errors[0].column == "行政区划代码"


async def test_a_person_in_another_household_is_refused(session: AsyncSession) -> None:
    village = await household_village(session)
    someone = await session.scalar(
        select(models.Member.id_number)
        .join(models.Household)
        .where(models.Household.village_code == village)
        .limit(1)
    )
    assert someone is not None
    report = await _run(session, [_row(village, "IMP-7", 31, 证件号码=someone)])
    assert report.errors[0].column == "证件号码"
    assert report.errors[0].reason.startswith("belongs to household ")


async def test_export_then_import_is_lossless_through_csv_and_xlsx(
    session: AsyncSession, tmp_path: Path
) -> None:
    village = await household_village(session)
    rows = await register_export.register(session, under=village[:9])
    exited = await register_export.deregistered(session, year=2015, under=village[:6])
    assert rows
    assert exited
    assert all(r[HEADERS.index("脱贫年度")] == "2015" for r in exited)
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"register{suffix}"
        tables.write(path, HEADERS, rows)
        header, read = tables.read(path)
        assert header == list(HEADERS)
        numbered = list(read)
        assert [list(cells.values()) for _, cells in numbered] == rows
        before = await _counts(session)
        report = await household_import.import_households(
            session,
            parse(numbered),
            actor="test",
            now=NOW,
            may_write=lambda _: True,
            atomic=True,
            dry_run=False,
        )
        assert report.errors == []
        assert (report.created, report.updated, report.written) == (0, 0, False)
        assert report.unchanged == len({r[0] for r in rows})
        assert await _counts(session) == before


async def test_exit_marks_list_the_villages_that_exited_in_a_year(session: AsyncSession) -> None:
    village = await session.scalar(
        select(models.VillageDesignationRow).where(
            models.VillageDesignationRow.village_code.startswith("23")
        )
    )
    assert village is not None
    village.exited_on = datetime(2016, 11, 30).date()
    await session.flush()
    marks = await register_export.exit_marks(session, year=2016, under="23")
    assert [m[0] for m in marks] == [village.village_code]
    assert marks[0][4] == "2016-11-30"
    assert await register_export.exit_marks(session, year=2015, under="23") == []


async def test_integrators_import_in_batches_inside_their_jurisdiction_only(
    session: AsyncSession,
) -> None:
    village = await household_village(session)  # in Heilongjiang
    rows = [_row(village, "IMP-8", 41)]
    allowed = await official(session, Role.INTEGRATOR, "23")
    e = env(session)
    report = await household_import.import_batch(
        e, allowed, header=list(HEADERS), rows=rows, atomic=False, dry_run=True
    )
    assert (report.created, report.errors) == (1, [])

    foreign = await official(session, Role.INTEGRATOR, "37")
    outside = await household_import.import_batch(
        e, foreign, header=list(HEADERS), rows=rows, atomic=False, dry_run=True
    )
    assert [(e.column, e.reason) for e in outside.errors] == [
        ("行政区划代码", "outside your jurisdiction")
    ]
    county = await official(session, Role.COUNTY_LEADING_GROUP, village[:6])
    with pytest.raises(NotPermitted):
        await household_import.import_batch(
            e, county, header=list(HEADERS), rows=rows, atomic=False, dry_run=True
        )
    with pytest.raises(ValidationFailed, match="户编号: column is missing"):
        await household_import.import_batch(
            e, allowed, header=list(HEADERS[1:]), rows=rows, atomic=False, dry_run=True
        )
    with pytest.raises(ValidationFailed, match="1 to 1000 rows"):
        await household_import.import_batch(
            e, allowed, header=list(HEADERS), rows=[], atomic=False, dry_run=True
        )
