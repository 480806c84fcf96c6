"""Hot reads run on the asyncpg connection itself: SQLAlchemy builds and compiles the
statement, asyncpg runs it, and the rows come back as named tuples of the values
SQLAlchemy would give (its own result processors: enums, UTC instants, money).

SQLAlchemy's execution path (execution context, parameter processing, the DBAPI
adaptor, result metadata) cost the client a third of a page statement: 0.34 ms of CPU
for a page of 50 households with their figures through ``session.execute``, 0.23 ms
here. ``rows`` takes this path only for a read session in autocommit on PostgreSQL (no
transaction the adaptor would first have to begin), for a statement compiled once for
all requests (no expanding or literal-execute parameters), and while nothing logs or
listens for statements (echo, the engine logger, execute and cursor events); anything
else is ``session.execute``. A statement is compiled once per process, by identity:
pass the shaped statements repositories keep (``shaped``, api/db/statements.py), not
one built per request.

A statement cancelled midway, or whose connection is gone, invalidates the connection
(a lost one also dates the rest of the pool), as SQLAlchemy would, so the pool does not
hand it out again. The driver connection is used without the SQLAlchemy adaptor's
execution lock: a request's reads already take turns on their session
(``Context.read``), and a session is never used by two tasks at once.
"""

from __future__ import annotations

import keyword
import logging
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any]


@dataclass(eq=False, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    """Bind parameter names in the order of $1, $2, ..."""
    defaults: Mapping[str, Any]
    """The values bound in the statement itself (a literal compared with)."""
    binds: dict[str, Processor]
    types: list[Any]
    row: Any
    """The named tuple type of a row: the statement's column keys."""
    processors: list[tuple[int, Processor]] | None = field(default=None)
    """Result processors by column, once the result's PostgreSQL types are known."""

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        arguments = []
        binds, defaults = self.binds, self.defaults
        for name in self.names:
            value = values[name] if name in values else defaults[name]
            process = binds.get(name)
            arguments.append(value if process is None else process(value))
        return arguments

    def learn(self, oids: Sequence[int], dialect: Dialect) -> None:
        processors = []
        for index, (type_, oid) in enumerate(zip(self.types, oids, strict=True)):
            process = _result_processor(type_, dialect, oid)
            if process is not None:
                processors.append((index, process))
        self.processors = processors

    def rows(self, records: Sequence[Any]) -> list[Any]:
        """Rows made column by column: each processor mapped over its column, the rows
        zipped back (Python loops per value cost more than the values' processing)."""
        assert self.processors is not None
        if not records:
            return []
        new, row = tuple.__new__, self.row
        if not self.processors:
            return [new(row, record) for record in records]
        columns: list[Any] = list(zip(*records, strict=True))
        for index, process in self.processors:
            columns[index] = map(process, columns[index])
        return [new(row, values) for values in zip(*columns, strict=True)]


def _result_processor(type_: Any, dialect: Dialect, oid: int) -> Processor | None:
    """SQLAlchemy's result processor for the column; for a string-stored Enum, its own
    lookup of members by stored value (SQLAlchemy's processor looks it up too, two
    Python calls later; an unknown value raises KeyError, a LookupError, as there)."""
    impl = type_.dialect_impl(dialect)
    if isinstance(impl, sqltypes.Enum) and not impl.native_enum:
        lookup = getattr(impl, "_object_lookup", None)
        if (
            isinstance(lookup, dict)
            and sqltypes.String.result_processor(impl, dialect, oid) is None
        ):
            return lookup.__getitem__
    process: Processor | None = impl.result_processor(dialect, oid)
    return process


_COMPILED: dict[tuple[int, int], tuple[Select[Any], Dialect, _Compiled | None]] = {}
MAX_COMPILED = 1_024
"""Statements kept compiled; past this (shaped statements are a few hundred at most, but
a caller might build one per request) the cache starts again from empty."""


def _compiled(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    key = (id(statement), id(dialect))
    found = _COMPILED.get(key)
    if found is not None and found[0] is statement and found[1] is dialect:
        return found[2]
    compiled = _compile(statement, dialect)
    if len(_COMPILED) >= MAX_COMPILED:
        _COMPILED.clear()
    _COMPILED[key] = (statement, dialect, compiled)  # keeps both alive: ids stay unique
    return compiled


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled | None:
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None  # re-rendered per execution: SQLAlchemy's path
    names = tuple(compiled.positiontup or ())
    keys = list(statement.selected_columns.keys())
    if len(set(keys)) != len(keys) or not all(
        key.isidentifier() and not keyword.iskeyword(key) and not key.startswith("_")
        for key in keys
    ):
        return None  # not names a named tuple can have
    binds: dict[str, Processor] = {}
    defaults: dict[str, Any] = {}
    for name in names:
        parameter = compiled.binds[name]
        process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
        if not parameter.required and parameter.callable is None:
            defaults[name] = parameter.value
    return _Compiled(
        sql=compiled.string,
        names=names,
        defaults=defaults,
        binds=binds,
        types=[column.type for column in statement.selected_columns],
        row=namedtuple("DirectRow", keys),
    )


def _observed(connection: Connection) -> bool:
    """Whether statements are logged (echo, or the ``sqlalchemy.engine`` logger at INFO)
    or listened for (execute and cursor events): they then run where the log and the
    listeners see them."""
    dispatch = connection.dispatch
    return bool(
        connection.engine.logger.isEnabledFor(logging.INFO)
        or dispatch.before_execute
        or dispatch.after_execute
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
    )


async def _invalidate(connection: AsyncConnection, pooled: Any, exc: BaseException) -> None:
    sync = connection.sync_connection
    assert sync is not None
    error = exc if isinstance(exc, Exception) else None
    if _driver_lost(pooled):
        sync.engine.pool._invalidate(pooled, error)  # what SQLAlchemy does on a disconnect
    await connection.invalidate(error)


def _driver_lost(pooled: Any) -> bool:
    driver = pooled.driver_connection
    return driver is None or bool(driver.is_closed())


async def rows(
    session: AsyncSession, statement: Select[Any], values: Mapping[str, Any]
) -> Sequence[Any]:
    """The statement's rows: named tuples on PostgreSQL's read sessions, else Rows."""
    found = await driver_rows(session, statement, values)
    if found is not None:
        return found
    result = await session.execute(statement, values)
    return list(result.all())


async def driver_rows(
    session: AsyncSession, statement: Select[Any], values: Mapping[str, Any]
) -> Sequence[Any] | None:
    """The statement's rows as named tuples if it can run on the driver connection (a
    session in autocommit on PostgreSQL, nothing observing, a statement compiled once);
    None, having run nothing, otherwise: the caller then takes its own way."""
    connection = await session.connection()
    dialect = connection.dialect
    compiled = _compiled(statement, dialect) if dialect.name == "postgresql" else None
    if compiled is None or _observed(connection.sync_connection):  # type: ignore[arg-type]
        return None
    pooled = await connection.get_raw_connection()
    if not getattr(pooled.dbapi_connection, "autocommit", False):
        return None
    driver = pooled.driver_connection
    assert driver is not None
    try:
        if compiled.processors is None:
            prepared = await driver.prepare(compiled.sql)
            compiled.learn([a.type.oid for a in prepared.get_attributes()], dialect)
        records = await driver.fetch(compiled.sql, *compiled.arguments(values))
    except BaseException as exc:
        # As SQLAlchemy does: a statement cancelled midway leaves the connection
        # in doubt, and a lost one dates every connection made before it.
        if not isinstance(exc, Exception) or driver.is_closed():
            await _invalidate(connection, pooled, exc)
        raise
    return compiled.rows(records)
