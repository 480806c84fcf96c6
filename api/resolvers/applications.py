"""Fetching, with a list of applications, what its query asks of each (see lookahead.py).

The history, the household and the procedure version of every listed application come
in one read each, and the application's fields then answer from the request's cache
without an await per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.db.repositories import applications as app_repo
from api.db.repositories import households as household_repo
from api.db.views import ApplicationView
from api.resolvers.context import VERSIONS, Context
from api.resolvers.lookahead import arguments_under

_VERSIONED = frozenset({"currentStage", "stages", "nextStep", "procedure"})


def asks(info: Any, path: tuple[str, ...], name: str) -> bool:
    """Whether the query asks for field ``name`` of the applications at ``path``."""
    selections = info.selected_fields[0].selections
    return bool(arguments_under(selections, path, frozenset({name})))


async def prefetch(
    info: Any, rows: Sequence[ApplicationView], path: tuple[str, ...], *, households: bool = True
) -> None:
    """``path`` leads from the list field to the application (``()`` or ``("edges", "node")``).
    ``households`` False: the caller read the households with the applications."""
    if not rows:
        return
    context: Context = info.context
    selections = info.selected_fields[0].selections
    ids = [row.id for row in rows]
    if asks(info, path, "history"):
        records = await context.read(lambda s: app_repo.records_for(s, ids))
        context.prefetched_records.update(records)
    if households and asks(info, path, "household"):
        keys = [row.subject_key for row in rows if row.subject_kind == "household"]
        scope = context.scope
        found = await context.read(lambda s: household_repo.by_registry_nos(s, keys, scope=scope))
        context.prefetched_households.update({key: found.get(key) for key in keys})
    if arguments_under(selections, path, _VERSIONED):
        missing = list({row.procedure_version_id for row in rows} - set(VERSIONS))
        if missing:
            VERSIONS.update(await context.read(lambda s: app_repo.versions_by_id(s, missing)))
