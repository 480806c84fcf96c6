"""The chain's pure parts: one canonical text per content, the entry hash PostgreSQL
computes the same way, and every kind of break found by walking the links."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from api.domain.chain import (
    GENESIS,
    Entry,
    Heads,
    canonical,
    check_links,
    entry_sha256,
    sha256,
)
from api.domain.roles import Role


def test_canonical_is_one_text_per_content() -> None:
    at = datetime(2016, 11, 1, 9, 0, tzinfo=UTC)
    beijing = at.astimezone(timezone(timedelta(hours=8)))
    one = canonical({"b": Decimal("2.50"), "a": "合心村", "at": at, "role": Role.INSPECTOR})
    other = canonical({"role": Role.INSPECTOR, "at": beijing, "a": "合心村", "b": Decimal("2.50")})
    assert one == other
    assert one == ('{"a":"合心村","at":"2016-11-01T09:00:00+00:00","b":"2.50","role":"inspector"}')
    # A naive datetime is read as UTC (SQLite hands them back naive).
    assert canonical({"at": at.replace(tzinfo=None)}) == canonical({"at": at})
    assert canonical({"d": date(2016, 12, 1)}) == '{"d":"2016-12-01"}'
    with pytest.raises(TypeError, match="no canonical form for bytes"):
        canonical({"x": b"raw"})


def test_entry_hash_is_the_plain_text_lines_postgresql_hashes() -> None:
    content = sha256("{}")
    expected = hashlib.sha256(
        f"{GENESIS}\n{GENESIS}\nstage_record\n7\n{content}".encode()
    ).hexdigest()
    assert (
        entry_sha256(
            prev_global=GENESIS,
            prev_app=GENESIS,
            fact="stage_record",
            record_id=7,
            content_sha256=content,
        )
        == expected
    )


def _chain(*items: tuple[str, int, int | None, str]) -> list[Entry]:
    entries: list[Entry] = []
    last, by_app = GENESIS, {}
    for seq, (fact, record_id, app, content) in enumerate(items, start=1):
        prev_app = by_app.get(app, GENESIS) if app is not None else GENESIS
        h = entry_sha256(
            prev_global=last,
            prev_app=prev_app,
            fact=fact,
            record_id=record_id,
            content_sha256=sha256(content),
        )
        entries.append(
            Entry(seq, fact, record_id, app, content, sha256(content), prev_app, last, h)
        )
        last = h
        if app is not None:
            by_app[app] = h
    return entries


CHAIN = _chain(
    ("stage_record", 1, 10, '{"stage":"appraisal"}'),
    ("stage_record", 2, 11, '{"stage":"appraisal"}'),
    ("sync_ack", 1, None, '{"position":5}'),
    ("stage_record", 3, 10, '{"stage":"verification"}'),
)


def test_a_whole_chain_holds_and_its_heads_are_known() -> None:
    heads = Heads()
    assert check_links(CHAIN, heads) is None
    assert heads.count == 4
    assert heads.last == CHAIN[-1].entry_sha256
    assert heads.of(10) == CHAIN[3].entry_sha256
    assert heads.of(11) == CHAIN[1].entry_sha256
    assert heads.of(None) == GENESIS
    assert CHAIN[3].prev_app == CHAIN[0].entry_sha256  # application 10's own line


def test_the_walk_carries_across_batches() -> None:
    heads = Heads()
    assert check_links(CHAIN[:2], heads) is None
    assert check_links(CHAIN[2:], heads) is None
    assert heads.count == 4
    # A batch walked without the heads before it does not link.
    broken = check_links(CHAIN[2:])
    assert broken is not None
    assert broken.seq == 3


@pytest.mark.parametrize(
    ("tampered", "seq", "reason"),
    [
        # content rewritten: no longer its hash
        (
            [*CHAIN[:1], replace(CHAIN[1], content='{"stage":"x"}'), *CHAIN[2:]],
            2,
            "does not hash to its content_sha256",
        ),
        # content and its hash rewritten: the entry's own hash no longer fits
        (
            [
                *CHAIN[:1],
                replace(CHAIN[1], content="{}", content_sha256=sha256("{}")),
                *CHAIN[2:],
            ],
            2,
            "entry_sha256 is not the hash",
        ),
        # an entry removed
        ([*CHAIN[:1], *CHAIN[2:]], 3, "does not link to the entry before it"),
        # two entries swapped
        ([CHAIN[0], CHAIN[2], CHAIN[1], CHAIN[3]], 3, "does not link to the entry before it"),
        # the per-application link rewritten (the global one kept)
        (
            [*CHAIN[:3], replace(CHAIN[3], prev_app=GENESIS)],
            4,
            "application 10's entry before it",
        ),
    ],
    ids=["content", "content-and-hash", "removed", "swapped", "application-link"],
)
def test_every_kind_of_tampering_breaks_at_its_place(
    tampered: list[Entry], seq: int, reason: str
) -> None:
    broken = check_links(tampered)
    assert broken is not None
    assert broken.seq == seq
    assert reason in broken.reason
    assert str(broken).startswith(f"entry {seq}: ")
