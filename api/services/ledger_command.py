"""``tuopin ledger verify``: the whole chain walked in one consistent snapshot."""

from __future__ import annotations

from sqlalchemy import exists, select

from api.db.chain import Verified, verify
from api.db.models import ChainEntry
from api.db.session import create_engine, session_factory


async def verify_ledger(database_url: str, *, cited: tuple[str, ...] = ()) -> Verified:
    """Verify the chain and the records against it; ``cited`` heads (from a printed
    notice or an export) must still be entries of it, or the tail was cut off."""
    engine = create_engine(database_url)
    reading = engine
    if engine.dialect.name == "postgresql":
        # One snapshot for the walk and the records: a write committing meanwhile
        # cannot look like a record without its entry.
        reading = engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    try:
        async with session_factory(reading)() as session, session.begin():
            verified = await verify(session)
            if verified.broken is not None:
                return verified
            for head in cited:
                found = await session.scalar(
                    select(exists().where(ChainEntry.entry_sha256 == head.lower()))
                )
                if not found:
                    return verified.missing(head)
            return verified
    finally:
        await engine.dispose()
