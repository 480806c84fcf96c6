"""Column types that keep Python values honest on both SQLite and PostgreSQL.

- ``Money``: ``Decimal`` yuan. PostgreSQL stores NUMERIC(14, 2); SQLite, which has
  no decimal type, stores whole fen as INTEGER so sums stay exact.
- ``UTCDateTime``: aware UTC instants only; naive datetimes are refused on write.
- ``DivisionCode``: division codes compared byte-wise (``COLLATE "C"`` on
  PostgreSQL), so prefix ranges ``[low, high)`` are index scans.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

_FEN = Decimal(100)


class Money(TypeDecorator[Decimal]):
    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, not {type(value).__name__}")
        fen = value * _FEN
        if fen != fen.to_integral_value():
            # NUMERIC(14, 2) would round it silently; refuse instead.
            raise ValueError(f"{value} has fractions of a fen")
        return int(fen) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _FEN).quantize(Decimal("0.01"))
        return Decimal(value).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:  # asyncpg's timestamptz: as it should be
            return value  # type: ignore[no-any-return]
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def division_code() -> TypeEngine[str]:
    return String(12).with_variant(String(12, collation="C"), "postgresql")


def big_id() -> TypeEngine[int]:
    """64-bit keys on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit rowid."""
    return BigInteger().with_variant(Integer(), "sqlite")
