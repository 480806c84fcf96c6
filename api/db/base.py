"""Declarative base with a constraint naming convention (stable Alembic diffs)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR column holding an enum's values, guarded by a CHECK constraint."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=_values,
        validate_strings=True,
    )


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


def on_dialect(dialect: str) -> Any:
    """An Alembic ``include_object`` that leaves out what the models create on another
    dialect only (``.ddl_if(dialect=...)``: the trigram index is PostgreSQL's)."""

    def include(item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        only = getattr(getattr(item, "_ddl_if", None), "dialect", None)
        return only is None or only == dialect

    return include
