"""Importing the household register: idempotent upsert by registry number.

A household in the file is new (inserted with its members), changed (its fields and
members made to match the file: members missing from the file are removed), or
unchanged (nothing written). What the procedures own is never imported over: an
existing household's 脱贫属性 and years, and its village, change only through the exit
procedure or ``returnToPoverty``; a row that tries is an error. Member changes of an
existing household go to the outbox for the national system.

Without ``atomic``, good households are written and bad ones reported; with it, one
bad row means nothing is written. ``dry_run`` reports without writing. New households
go in by COPY on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import ARRAY, String, any_, bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.authz.policy import Action
from api.db.bulk import copy_frame, defer_indexes, load_rows, reserve_ids
from api.db.models import Household, Jurisdiction, Member
from api.domain import register_file, register_frame
from api.domain.jurisdictions import Level
from api.domain.register_file import (
    HouseholdInFile,
    HouseholdRecord,
    MemberRecord,
    Parsed,
    RowError,
)
from api.domain.register_frame import KEY, ROW, RegisterFrame
from api.domain.roles import Principal
from api.domain.statistics import HouseholdHistory, MemberSpan
from api.errors import ValidationFailed
from api.services import access, ledger, outbox, statistics
from api.services.workflow import Env

CHUNK = 2_000
FIRST_LOAD = 10_000
"""New households from which a load into an empty register defers its indexes."""
T = TypeVar("T")
Progress = Callable[[int], None]
VillageCheck = Callable[[str], bool]
"""Whether the importer may write households of this village (outside: a row error)."""

_HOUSEHOLD_FIELDS = tuple(HouseholdRecord.__dataclass_fields__)
_MEMBER_FIELDS = tuple(MemberRecord.__dataclass_fields__)
_PROCEDURE_OWNED = ("village_code", "exit_attribute", "exited_year", "returned_year")


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    written: bool = False
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Stored:
    """A household as the register holds it, read as plain values (no ORM objects)."""

    id: int
    record: HouseholdRecord
    members: dict[str, MemberRecord]


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _any(column: Any, values: list[str], postgres: bool) -> Iterable[Any]:
    """Conditions matching ``column`` to ``values``: one array per 100,000 values on
    PostgreSQL, IN lists of ``CHUNK`` elsewhere."""
    if postgres:
        for start in range(0, len(values), 100_000):
            chunk = values[start : start + 100_000]
            yield column == any_(bindparam(None, chunk, type_=ARRAY(String)))
        return
    for chunk in _chunks(values):
        yield column.in_(chunk)


async def _postgres(session: AsyncSession) -> bool:
    return (await session.connection()).dialect.name == "postgresql"


async def _existing(session: AsyncSession, keys: list[str]) -> dict[str, _Stored]:
    found: dict[str, _Stored] = {}
    household_columns = [getattr(Household, name) for name in _HOUSEHOLD_FIELDS]
    member_columns = [getattr(Member, name) for name in _MEMBER_FIELDS]
    postgres = await _postgres(session)
    for condition in _any(Household.registry_no, keys, postgres):
        rows = (
            await session.execute(select(Household.id, *household_columns).where(condition))
        ).all()
        members: dict[int, dict[str, MemberRecord]] = {row[0]: {} for row in rows}
        for ids in _chunks(list(members)):
            for member_row in await session.execute(
                select(Member.household_id, *member_columns).where(Member.household_id.in_(ids))
            ):
                member = MemberRecord(*member_row[1:])
                members[member_row[0]][member.id_number] = member
        for row in rows:
            record = HouseholdRecord(*row[1:])
            found[record.registry_no] = _Stored(row[0], record, members[row[0]])
    return found


async def _villages(session: AsyncSession, codes: set[str]) -> set[str]:
    known: set[str] = set()
    for chunk in _chunks(sorted(codes)):
        known.update(
            await session.scalars(
                select(Jurisdiction.code).where(
                    Jurisdiction.code.in_(chunk), Jurisdiction.level == Level.VILLAGE
                )
            )
        )
    return known


async def _id_owners(
    session: AsyncSession, members: pl.DataFrame, existing: dict[str, _Stored]
) -> dict[str, str]:
    """ID number -> registry number of the household that has the person now, for the
    people in the file. People already in their own household in the file need no query."""
    owners = {i: key for key, stored in existing.items() for i in stored.members}
    known = pl.Series(list(owners), dtype=pl.String)
    unknown = members.filter(~pl.col("id_number").is_in(known))["id_number"].to_list()
    postgres = await _postgres(session)
    for condition in _any(Member.id_number, unknown, postgres):
        rows = await session.execute(
            select(Member.id_number, Household.registry_no)
            .join(Household, Household.id == Member.household_id)
            .where(condition)
        )
        owners.update({id_number: key for id_number, key in rows})
    return owners


@dataclass(slots=True)
class _Plan:
    new: pl.DataFrame
    new_members: pl.DataFrame
    changed: list[tuple[HouseholdInFile, _Stored]] = field(default_factory=list)
    unchanged: int = 0


async def _plan(
    session: AsyncSession, frame: RegisterFrame, may_write: VillageCheck, report: ImportReport
) -> _Plan:
    """New households stay tables; those already registered are compared one by one."""
    households, members = frame.households, frame.members
    # Into an empty register (a first load) nobody is registered yet: nothing to look up.
    empty = await session.scalar(select(Household.id).limit(1)) is None
    existing = {} if empty else await _existing(session, households[KEY].to_list())
    codes = set(households["village_code"].unique().to_list())
    villages = await _villages(session, codes)
    allowed = {code for code in villages if may_write(code)}
    owners = {} if empty else await _id_owners(session, members, existing)
    stored_keys = pl.Series(list(existing), dtype=pl.String)

    # New households: the same checks as ``_problems``, a column at a time.
    new = households.filter(~pl.col(KEY).is_in(stored_keys))
    placed = new.filter(pl.col("village_code").is_in(list(allowed)))
    for row, code in (
        new.filter(~pl.col("village_code").is_in(list(allowed)))
        .select(ROW, "village_code")
        .iter_rows()
    ):
        reason = f"no village {code}" if code not in villages else "outside your jurisdiction"
        report.errors.append(RowError(row, "行政区划代码", reason))
    owner_frame = pl.DataFrame(
        {"id_number": list(owners), "owner": list(owners.values())},
        schema={"id_number": pl.String, "owner": pl.String},
    )
    foreign = (
        members.filter(pl.col(KEY).is_in(placed[KEY]))
        .join(owner_frame, on="id_number", how="inner")
        .filter(pl.col("owner") != pl.col(KEY))
        .sort(ROW)
    )
    report.errors += [
        RowError(row, "证件号码", f"belongs to household {owner}")
        for row, owner in foreign.select(ROW, "owner").iter_rows()
    ]
    refused = new.height - placed.height + foreign[KEY].n_unique()
    new = placed.filter(~pl.col(KEY).is_in(foreign[KEY]))
    plan = _Plan(new, members.filter(pl.col(KEY).is_in(new[KEY])))

    # Households already registered: few in a bulk load, read back as records.
    changed_or_same = register_frame.households_in_file(frame, list(existing))
    for key, household in changed_or_same.items():
        stored = existing[key]
        problems = _problems(household, stored, villages, owners, may_write)
        if problems:
            report.errors += problems
            refused += 1
        elif stored.record == household.record and stored.members == _by_id(household.members):
            plan.unchanged += 1
        else:
            plan.changed.append((household, stored))
    report.rejected += refused
    return plan


def _by_id(members: Iterable[MemberRecord]) -> dict[str, MemberRecord]:
    return {m.id_number: m for m in members}


def _problems(
    household: HouseholdInFile,
    stored: _Stored | None,
    villages: set[str],
    owners: dict[str, str],
    may_write: VillageCheck,
) -> list[RowError]:
    record, first = household.record, household.rows[0]
    if record.village_code not in villages:
        return [RowError(first, "行政区划代码", f"no village {record.village_code}")]
    if not may_write(record.village_code):
        return [RowError(first, "行政区划代码", "outside your jurisdiction")]
    problems = [
        RowError(row, "证件号码", f"belongs to household {owners[member.id_number]}")
        for row, member in zip(household.rows, household.members, strict=True)
        if owners.get(member.id_number, record.registry_no) != record.registry_no
    ]
    if stored is not None:
        current = stored.record
        for name in _PROCEDURE_OWNED:
            if getattr(current, name) != getattr(record, name):
                problems.append(
                    RowError(
                        first,
                        register_file.header_of(name),
                        f"is {getattr(current, name) or 'empty'} in the register; it changes "
                        "only through the exit procedure or returnToPoverty",
                    )
                )
    return problems


async def import_households(
    session: AsyncSession,
    parsed: Parsed | RegisterFrame,
    *,
    actor: Principal | str,
    now: datetime,
    may_write: VillageCheck,
    atomic: bool,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Plan against the database, then write (unless dry-run, or atomic with errors)."""
    frame = parsed if isinstance(parsed, RegisterFrame) else register_frame.of_parsed(parsed)
    report = ImportReport(rows=frame.rows, errors=list(frame.errors))
    report.rejected = len(frame.rejected)
    plan = await _plan(session, frame, may_write, report)
    report.created, report.updated, report.unchanged = (
        plan.new.height,
        len(plan.changed),
        plan.unchanged,
    )
    report.errors.sort(key=lambda e: e.row)
    if dry_run or (atomic and report.errors) or not (plan.new.height or plan.changed):
        return report
    await _insert_new(session, plan.new, plan.new_members, now=now, progress=progress)
    await statistics.added_frames(
        session, plan.new.rename({KEY: "key"}), plan.new_members.rename({KEY: "key"})
    )
    for household, stored in plan.changed:
        await _update(session, household, stored, now=now)
        if progress:
            progress(len(household.rows))
    # Both histories are at hand: what was read to plan, and what the file says now.
    await statistics.changed(
        session,
        (
            (_history(s.record, s.members.values()), _history(h.record, h.members))
            for h, s in plan.changed
        ),
    )
    await ledger.append(
        session,
        actor=actor,
        action="import_households",
        object_kind="register",
        object_id="import",
        unit_code=_common_prefix(
            plan.new["village_code"].unique().to_list()
            + [s.record.village_code for _, s in plan.changed]
        ),
        at=now,
        detail={
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected,
        },
    )
    report.written = True
    return report


def _common_prefix(codes: list[str]) -> str:
    """The smallest division containing every code (a ledger event has one unit)."""
    if not codes:
        return ""
    low, high = min(codes), max(codes)
    for length in (12, 9, 6, 4, 2):
        if low[:length] == high[:length]:
            return low[:length]
    return ""


async def _insert_new(
    session: AsyncSession,
    households: pl.DataFrame,
    members: pl.DataFrame,
    *,
    now: datetime,
    progress: Progress | None,
) -> None:
    if not households.height:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await _copy(connection, households, members, now=now, progress=progress)
        return
    in_file = register_frame.households_in_file(
        RegisterFrame(households, members, [], set(), 0), households[KEY].to_list()
    )
    chunk_households = list(in_file.values())
    household_columns = (*_HOUSEHOLD_FIELDS, "created_at")
    member_columns = ("household_id", *_MEMBER_FIELDS)
    for start in range(0, len(chunk_households), CHUNK):
        chunk = chunk_households[start : start + CHUNK]
        await load_rows(
            connection,
            "households",
            household_columns,
            [(*(getattr(h.record, f) for f in _HOUSEHOLD_FIELDS), now) for h in chunk],
        )
        ids = dict(
            (
                await session.execute(
                    select(Household.registry_no, Household.id).where(
                        Household.registry_no.in_([h.record.registry_no for h in chunk])
                    )
                )
            ).all()
        )
        await load_rows(
            connection,
            "household_members",
            member_columns,
            [
                (ids[h.record.registry_no], *(getattr(m, f) for f in _MEMBER_FIELDS))
                for h in chunk
                for m in h.members
            ],
        )
        if progress:
            progress(sum(len(h.rows) for h in chunk))


async def _first_load(connection: AsyncConnection) -> bool:
    """Whether the register is empty, asked again once it is locked against writers."""
    empty = "SELECT NOT EXISTS (SELECT 1 FROM households)"
    if not await connection.scalar(text(empty)):
        return False
    await connection.execute(text("LOCK TABLE households, household_members IN EXCLUSIVE MODE"))
    return bool(await connection.scalar(text(empty)))


async def _copy(
    connection: AsyncConnection,
    households: pl.DataFrame,
    members: pl.DataFrame,
    *,
    now: datetime,
    progress: Progress | None,
) -> None:
    """COPY as CSV with ids taken from the sequence first, so members need no read back.
    Into an empty register (a first load of many households), the indexes and
    constraints are built after the load, as ``tuopin generate`` does."""
    rebuild: list[str] = []
    if households.height >= FIRST_LOAD and await _first_load(connection):
        rebuild = await defer_indexes(connection, ("households", "household_members"))
    ids = pl.Series("id", await reserve_ids(connection, "households", households.height))
    keyed = households.with_columns(ids)
    await copy_frame(
        connection,
        "households",
        keyed.select("id", *_HOUSEHOLD_FIELDS, pl.lit(now.isoformat()).alias("created_at")),
    )
    rows = members.join(
        keyed.select(KEY, pl.col("id").alias("household_id")),
        on=KEY,
        how="left",
        maintain_order="left",
    )
    await copy_frame(
        connection,
        "household_members",
        rows.select("household_id", *_MEMBER_FIELDS),
        progress=progress,
    )
    for statement in rebuild:
        await connection.execute(text(statement))


def _history(record: HouseholdRecord, members: Iterable[MemberRecord]) -> HouseholdHistory:
    return HouseholdHistory(
        record.village_code,
        record.registered_year,
        record.exited_year,
        record.returned_year,
        tuple(MemberSpan(m.joined_year, m.left_year) for m in members),
    )


async def _update(
    session: AsyncSession,
    household: HouseholdInFile,
    stored: _Stored,
    *,
    now: datetime,
) -> None:
    row = await session.get_one(Household, stored.id)
    members = list(await session.scalars(select(Member).where(Member.household_id == row.id)))
    for name in _HOUSEHOLD_FIELDS:
        setattr(row, name, getattr(household.record, name))
    wanted = {m.id_number: m for m in household.members}
    current = {m.id_number: m for m in members}
    removed = sorted(set(current) - set(wanted))
    added = sorted(set(wanted) - set(current))
    changed = sorted(i for i in set(wanted) & set(current) if stored.members[i] != wanted[i])
    if removed:
        await session.execute(
            delete(Member).where(Member.household_id == row.id, Member.id_number.in_(removed))
        )
    for id_number in changed:
        for name in _MEMBER_FIELDS:
            setattr(current[id_number], name, getattr(wanted[id_number], name))
    for id_number in added:
        session.add(
            Member(
                household_id=row.id,
                **{name: getattr(wanted[id_number], name) for name in _MEMBER_FIELDS},
            )
        )
    await session.flush()
    if removed or added or changed:
        await outbox.emit(
            session,
            kind=outbox.ChangeKind.MEMBERS_CHANGED,
            subject_kind="household",
            subject_key=row.registry_no,
            unit_code=row.village_code,
            payload={
                "registryNo": row.registry_no,
                "added": added,
                "removed": removed,
                "changed": changed,
                "members": len(wanted),
                "exitAttribute": row.exit_attribute.value,
            },
            now=now,
        )


MAX_BATCH_ROWS = 1_000


async def import_batch(
    env: Env,
    principal: Principal,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    atomic: bool,
    dry_run: bool,
) -> ImportReport:
    """The file import for integrators over GraphQL: the same columns, at most 1,000 rows,
    each household only inside the integrator's jurisdiction."""
    if not 0 < len(rows) <= MAX_BATCH_ROWS:
        raise ValidationFailed(f"send 1 to {MAX_BATCH_ROWS} rows", path=("rows",))
    header_errors = register_file.check_headers(header)
    if header_errors:
        problems = "; ".join(f"{e.column}: {e.reason}" for e in header_errors)
        raise ValidationFailed(problems, path=("header",))
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=principal.jurisdiction,
        obj="register",
        action=Action.IMPORT,
    )
    key = access.acting_key(principal)
    names = [h.strip() for h in header]
    parsed = register_file.parse(
        (number, dict(zip(names, cells, strict=False)))
        for number, cells in enumerate(rows, start=2)
    )
    return await import_households(
        env.session,
        parsed,
        actor=principal,
        now=env.now,
        may_write=lambda code: env.authorizer.allows(key, code, "register", Action.IMPORT),
        atomic=atomic,
        dry_run=dry_run,
    )
