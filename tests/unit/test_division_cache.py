"""The process's cache of units keeps nothing unless watched, and nothing read before a change."""

from __future__ import annotations

from typing import NamedTuple

from api.db.division_cache import DivisionCache
from api.domain.jurisdictions import Level


class Unit(NamedTuple):
    code: str
    name: str
    level: Level = Level.VILLAGE
    parent_code: str | None = None


def test_unwatched_it_keeps_nothing() -> None:
    cache = DivisionCache()
    cache.keep([Unit("230231101001", "东风村")], cache.generation)
    assert cache.known(["230231101001"]) == {}


def test_watched_it_serves_what_it_kept() -> None:
    cache = DivisionCache()
    cache.watch(True)
    unit = Unit("230231101001", "东风村")
    cache.keep([unit], cache.generation)
    assert cache.known(["230231101001", "230231101002"]) == {"230231101001": unit}


def test_a_change_empties_it_and_drops_rows_read_before() -> None:
    cache = DivisionCache()
    cache.watch(True)
    cache.keep([Unit("230231101001", "东风村")], cache.generation)
    began = cache.generation  # a read begins ...
    cache.changed()  # ... a change is announced while it runs ...
    cache.keep([Unit("230231101002", "old name")], began)  # ... and it ends
    assert cache.known(["230231101001", "230231101002"]) == {}
    cache.keep([Unit("230231101002", "new name")], cache.generation)
    assert cache.known(["230231101002"])["230231101002"].name == "new name"


def test_losing_the_watch_empties_it() -> None:
    cache = DivisionCache()
    cache.watch(True)
    began = cache.generation
    cache.keep([Unit("230231101001", "东风村")], began)
    cache.watch(False)
    assert cache.known(["230231101001"]) == {}
    cache.watch(True)  # listening again: rows read while unwatched are not kept
    cache.keep([Unit("230231101001", "东风村")], began)
    assert cache.known(["230231101001"]) == {}


def test_it_is_bounded() -> None:
    cache = DivisionCache(max_units=2)
    cache.watch(True)
    cache.keep([Unit("1", "a"), Unit("2", "b")], cache.generation)
    cache.keep([Unit("3", "c")], cache.generation)
    assert cache.known(["1", "2", "3"]) == {"3": Unit("3", "c")}
