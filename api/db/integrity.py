"""What a broken unique constraint means, told by the table whose constraint it is."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

_SQLITE = re.compile(r"UNIQUE constraint failed: (\w+)\.")

_MEANING = {
    "exit_applications": "the subject already has an application for that year",
    "idempotency_records": "this idempotency key is in use by a concurrent request; retry",
    "households": "a household with that registry number is already registered",
    "household_members": "a member with that ID number is already registered",
    "evaluation_assignments": "that evaluator is already assigned to the application",
    "evaluation_villages": "that village is already sampled for the assignment",
    "evaluation_households": "that survey number is already recorded for the village",
    "exit_plans": "the unit already has an exit plan of that kind for that year",
    "spot_check_subjects": "that subject is already in the spot check",
    "poverty_standards": "a poverty standard of that kind for that region and year exists",
}


def unique_violation(exc: IntegrityError) -> str | None:
    """The meaning of the unique constraint ``exc`` broke; None if it broke another kind."""
    table = _table_of(exc)
    if table is None:
        return None
    return _MEANING.get(table, f"a row like this one already exists in {table}")


def _table_of(exc: IntegrityError) -> str | None:
    cause = exc.orig.__cause__ if exc.orig is not None else None
    if type(cause).__name__ == "UniqueViolationError":  # asyncpg: it names the table
        table: str | None = getattr(cause, "table_name", None)
        return table
    found = _SQLITE.search(str(exc.orig))
    return found.group(1) if found else None
