"""Administrative units by code, kept for the process while PostgreSQL reports changes.

Units change only when the divisions are loaded (demo data, the generator, by hand), yet
nearly every read starts from one: a village page asks for its village first. While the
change watch listens (api/authz/watch.py; migration 0012 makes ``jurisdictions`` notify
every statement that changes it, at commit), units read once are served from here. Any
change empties the cache; so does losing the watch, and nothing is kept until it listens
again. On SQLite there is no watch, and every unit is read from the table.

A read that began before a change must not refill the cache with what it saw: ``keep``
drops rows read in an earlier generation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from api.db.views import JurisdictionView

MAX_UNITS = 200_000
"""The national tree has some 700,000 units, but a process is asked about few of them;
past this bound the cache starts again from empty."""


class DivisionCache:
    def __init__(self, max_units: int = MAX_UNITS) -> None:
        self._units: dict[str, JurisdictionView] = {}
        self._max_units = max_units
        self._generation = 0
        self._watched = False

    @property
    def watched(self) -> bool:
        return self._watched

    @property
    def generation(self) -> int:
        return self._generation

    def watch(self, watched: bool) -> None:
        """Start trusting the cache (the watch listens now) or stop (it was lost)."""
        self._watched = watched
        self.changed()

    def changed(self) -> None:
        """Units changed somewhere: forget every one."""
        self._generation += 1
        self._units.clear()

    def known(self, codes: Iterable[str]) -> dict[str, JurisdictionView]:
        if not self._watched:
            return {}
        units = self._units
        return {code: units[code] for code in codes if code in units}

    def keep(self, rows: Sequence[JurisdictionView], generation: int) -> None:
        """Keep rows read while ``generation`` was current (else they may be stale)."""
        if not self._watched or generation != self._generation:
            return
        if len(self._units) + len(rows) > self._max_units:
            self._units.clear()
        for row in rows:
            self._units[row.code] = row
