"""An application's place in the hash chain over decision records, to cite."""

from __future__ import annotations

import strawberry

from api.db.chain import Head


@strawberry.type(
    description="The newest entry of an application's chain in the decision ledger "
    "(api/domain/chain.py). A printed notice or an export cites entrySha256; "
    "`tuopin ledger verify --head <entrySha256>` shows that the chain still holds it, "
    "and everything before it, unaltered."
)
class ChainHead:
    seq: int = strawberry.field(description="The entry's position in the whole ledger.")
    entry_sha256: str = strawberry.field(
        description="SHA-256 of the entry: its content's hash and both links before it."
    )
    entries: int = strawberry.field(description="Entries on this application's chain.")

    @classmethod
    def of(cls, head: Head) -> ChainHead:
        return cls(seq=head.seq, entry_sha256=head.entry_sha256, entries=head.entries)
