"""The hash chain over decision records (pure: no database, no framework).

Every decision record is a *fact*: a stage record with its evidence, an objection
raised, its resolution, a spot check drawn with its frame, a spot-check finding, an
evaluator's assignment, the samples behind a submitted evaluation, the national
system's acknowledgment of a change. A fact's *content* is its values as canonical
JSON; the ledger entry that chains it holds that text, its SHA-256, and two links:

- ``prev_global``: the entry before it in the whole ledger;
- ``prev_app``: the entry before it on the same application (``GENESIS`` for the
  first, and for facts that belong to no application).

``entry_sha256`` hashes the links and the content's hash as plain text lines, a form
PostgreSQL's ``sha256()`` computes the same way, so an entry can be appended inside the
statement that writes its record. A changed record no longer matches its entry's
content; a changed, removed or inserted entry breaks the links after it; a removed
tail shows against a head cited elsewhere (a printed notice, an export).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> str:
    """One text for one content: sorted keys, no spaces, UTF-8 as is; datetimes in UTC
    ISO form, decimals as their digits, enums as their values."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"no canonical form for {type(value).__name__}")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry_sha256(
    *, prev_global: str, prev_app: str, fact: str, record_id: int, content_sha256: str
) -> str:
    """What PostgreSQL computes as ``sha256(convert_to(concat_ws(E'\\n', ...), 'UTF8'))``."""
    return sha256("\n".join((prev_global, prev_app, fact, str(record_id), content_sha256)))


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    fact: str
    record_id: int
    application_id: int | None
    content: str
    content_sha256: str
    prev_app: str
    prev_global: str
    entry_sha256: str


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the chain does not hold."""

    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "the records"
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class Heads:
    """The last entry's hash, globally and per application, while entries are walked."""

    last: str = GENESIS
    count: int = 0
    by_application: dict[int, str] | None = None

    def of(self, application_id: int | None) -> str:
        if application_id is None or self.by_application is None:
            return GENESIS
        return self.by_application.get(application_id, GENESIS)


def check_links(entries: Iterable[Entry], heads: Heads | None = None) -> Break | None:
    """Walk entries in ``seq`` order: each hashes what it says and links to the one
    before it, globally and on its application. ``heads`` carries the walk across
    batches (and ends holding the chain's heads)."""
    heads = heads if heads is not None else Heads()
    if heads.by_application is None:
        heads.by_application = {}
    for entry in entries:
        if sha256(entry.content) != entry.content_sha256:
            return Break(entry.seq, "its content does not hash to its content_sha256")
        if entry.prev_global != heads.last:
            return Break(
                entry.seq,
                "it does not link to the entry before it (an entry "
                "was removed, inserted or rewritten)",
            )
        if entry.prev_app != heads.of(entry.application_id):
            return Break(
                entry.seq,
                f"it does not link to application {entry.application_id}'s entry before it",
            )
        expected = entry_sha256(
            prev_global=entry.prev_global,
            prev_app=entry.prev_app,
            fact=entry.fact,
            record_id=entry.record_id,
            content_sha256=entry.content_sha256,
        )
        if expected != entry.entry_sha256:
            return Break(entry.seq, "its entry_sha256 is not the hash of its links and content")
        heads.last = entry.entry_sha256
        heads.count += 1
        if entry.application_id is not None:
            heads.by_application[entry.application_id] = entry.entry_sha256
    return None
