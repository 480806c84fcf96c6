"""Chaining decision records as they are written, and verifying the chain.

A writer notes each fact on its session (``note``); when the session's transaction
commits, the noted facts are appended to ``chain_entries`` in that same transaction
(a ``before_commit`` hook), so a record and its entry commit together or not at all.
A step written as one statement on PostgreSQL appends inside that statement
(``append_clause``). Appends are serialized: on PostgreSQL by a transaction-scoped
advisory lock taken inside ``chain_append()`` (migration 0013), which reads the heads
with fresh snapshots after the lock; SQLite runs one write transaction at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Text,
    bindparam,
    cast,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from api.db import chain_facts
from api.db.models import ChainEntry
from api.domain.chain import GENESIS, Break, Entry, Heads, canonical, check_links, entry_sha256
from api.domain.chain import sha256 as sha256_of

_PENDING = "tuopin.chain.pending"
ENTRY_COLUMNS = tuple(Entry.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Fact:
    fact: str
    record_id: int
    application_id: int | None
    content: Mapping[str, Any]

    def item(self) -> dict[str, Any]:
        text_ = canonical(self.content)
        return {
            "fact": self.fact,
            "record_id": self.record_id,
            "application_id": self.application_id,
            "content": text_,
            "content_sha256": sha256_of(text_),
        }


def note(session: AsyncSession | Session, fact: Callable[[], Fact]) -> None:
    """Chain ``fact()`` when the session commits: it is called then, after the last
    flush, so it may read ids the database assigned."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_PENDING, []).append(fact)


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    if not session.info.get(_PENDING):
        return
    session.flush()
    pending = session.info.pop(_PENDING)
    append(session.connection(), [fact().item() for fact in pending])


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


def append(connection: Connection, items: list[dict[str, Any]]) -> None:
    """Append entries for ``items`` (``Fact.item()``), in order."""
    if not items:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT chain_append(CAST(:items AS jsonb))"),
            {"items": orjson.dumps(items).decode()},
        )
        return
    last = connection.scalar(
        select(ChainEntry.entry_sha256).order_by(ChainEntry.seq.desc()).limit(1)
    )
    prev_global = last or GENESIS
    apps: dict[int, str] = {}
    rows = []
    for item in items:
        app = item["application_id"]
        if app is not None and app not in apps:
            found = connection.scalar(
                select(ChainEntry.entry_sha256)
                .where(ChainEntry.application_id == app)
                .order_by(ChainEntry.seq.desc())
                .limit(1)
            )
            apps[app] = found or GENESIS
        prev_app = GENESIS if app is None else apps[app]
        entry = entry_sha256(
            prev_global=prev_global,
            prev_app=prev_app,
            fact=item["fact"],
            record_id=item["record_id"],
            content_sha256=item["content_sha256"],
        )
        rows.append(
            {**item, "prev_app": prev_app, "prev_global": prev_global, "entry_sha256": entry}
        )
        prev_global = entry
        if app is not None:
            apps[app] = entry
    connection.execute(insert(ChainEntry), rows)  # one statement, however many entries


def append_clause(fact: str, record_id: Any, application_id: Any) -> Any:
    """``chain_append(...)`` for one fact whose record id and application are SQL
    expressions (a CTE's RETURNING), to be selected inside the statement that writes it.
    Its content comes as the parameters ``chain_content`` (``canonical``) and
    ``chain_sha256``: the statement is built once and run for many facts."""

    def key(name: str) -> Any:
        return literal_column(f"'{name}'")

    item = func.jsonb_build_object(
        key("fact"),
        literal_column(f"'{fact}'"),
        key("record_id"),
        record_id,
        key("application_id"),
        application_id,
        key("content"),
        cast(bindparam("chain_content", type_=Text), Text),
        key("content_sha256"),
        cast(bindparam("chain_sha256", type_=Text), Text),
    )
    return func.chain_append(func.jsonb_build_array(item))


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_sha256: str
    entries: int
    """Entries on the application's chain."""


async def heads_of(session: AsyncSession, application_ids: Sequence[int]) -> dict[int, Head]:
    """The newest entry on each application's chain (those with none are left out)."""
    if not application_ids:
        return {}
    newest = (
        select(
            ChainEntry.application_id,
            func.max(ChainEntry.seq).label("seq"),
            func.count().label("entries"),
        )
        .where(ChainEntry.application_id.in_(sorted(set(application_ids))))
        .group_by(ChainEntry.application_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            newest.c.application_id, newest.c.seq, ChainEntry.entry_sha256, newest.c.entries
        ).join(ChainEntry, ChainEntry.seq == newest.c.seq)
    )
    return {row[0]: Head(row[1], row[2], row[3]) for row in rows}


async def head_of(session: AsyncSession, application_id: int) -> Head | None:
    """The newest entry on an application's chain."""
    return (await heads_of(session, [application_id])).get(application_id)


@dataclass(frozen=True, slots=True)
class Verified:
    entries: int
    head: str
    broken: Break | None

    def missing(self, cited: str) -> Verified:
        """The chain holds, but a head cited elsewhere is not in it: its tail was cut."""
        reason = f"the cited head {cited} is not in the chain (entries after it were removed?)"
        return Verified(self.entries, self.head, Break(None, reason))


async def verify(session: AsyncSession, *, batch: int = 5_000) -> Verified:
    """Walk the chain, then check every live record against its entry."""
    return await session.run_sync(lambda sync: verify_sync(sync, batch=batch))


def verify_sync(session: Session, *, batch: int = 5_000) -> Verified:
    heads = Heads()
    known: dict[tuple[str, int], tuple[int, str]] = {}

    def broken(at: Break) -> Verified:
        return Verified(heads.count, heads.last, at)

    after = 0
    while True:
        # Rows, not ORM objects: what the database holds now, whatever the session has seen.
        entries = [
            Entry(**row._mapping)
            for row in session.execute(
                select(*(getattr(ChainEntry, name) for name in ENTRY_COLUMNS))
                .where(ChainEntry.seq > after)
                .order_by(ChainEntry.seq)
                .limit(batch)
            )
        ]
        if not entries:
            break
        found_break = check_links(entries, heads)
        if found_break is not None:
            return broken(found_break)
        for entry in entries:
            key = (entry.fact, entry.record_id)
            if entry.fact not in chain_facts.LIVE:
                continue  # a snapshot: its entry is the whole of it
            if key in known:
                return broken(Break(entry.seq, f"{entry.fact} {entry.record_id} is chained twice"))
            known[key] = (entry.seq, entry.content_sha256)
        after = entries[-1].seq
    for fact, live in chain_facts.LIVE.items():
        for records in live.records(session, batch=batch):
            for record_id, content in chain_facts.completed(session, fact, records):
                found = known.pop((fact, record_id), None)
                if found is None:
                    return broken(
                        Break(None, f"{live.table} row {record_id} ({fact}) has no chain entry")
                    )
                if sha256_of(canonical(content)) != found[1]:
                    return broken(
                        Break(
                            found[0],
                            f"{live.table} row {record_id} no longer holds what was chained",
                        )
                    )
    if known:  # entries whose records are gone: the first of them
        (fact, record_id), (seq, _) = min(known.items(), key=lambda k: k[1][0])
        return broken(Break(seq, f"the {fact} {record_id} it chains is gone"))
    return Verified(heads.count, heads.last, None)


def chain_existing(session: Session) -> int:
    """Chain the live records that have no entry yet (a database from before the chain);
    the number chained."""
    chained = {(r[0], r[1]) for r in session.execute(select(ChainEntry.fact, ChainEntry.record_id))}
    count = 0
    for fact, live in chain_facts.LIVE.items():
        for records in live.records(session):
            items = [
                Fact(fact, record_id, content.get("application_id"), content).item()
                for record_id, content in chain_facts.completed(session, fact, records)
                if (fact, record_id) not in chained
            ]
            append(session.connection(), items)
            count += len(items)
    return count


def note_stage_record(
    session: AsyncSession | Session, record: Any, evidence: list[Any] | tuple[Any, ...] = ()
) -> None:
    """Chain an ORM stage record (and its evidence) added to ``session``."""
    note(
        session,
        lambda: Fact(
            "stage_record",
            record.id,
            record.application_id,
            chain_facts.stage_record(record, evidence),
        ),
    )


def note_row(session: AsyncSession | Session, fact: str, row: Any, **content: Any) -> None:
    """Chain an ORM row of a single-row fact (``chain_facts.LIVE``'s columns), with
    ``content`` added to what the columns hold."""
    columns = chain_facts.LIVE[fact].columns

    def made() -> Fact:
        values = chain_facts.pick(row, columns) | content
        return Fact(fact, row.id, values.get("application_id"), values)

    note(session, made)
