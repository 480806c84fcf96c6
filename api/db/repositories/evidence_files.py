"""Evidence files' rows: recording an upload, finding files by hash, and the scoped read
that decides a download."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Evidence, EvidenceFile, EvidenceFileUpload, ExitApplication
from api.db.repositories.scoping import in_scope
from api.domain.evidence_files import REFERENCE_PREFIX
from api.domain.jurisdictions import Scope
from api.domain.roles import Principal


async def record_upload(
    session: AsyncSession,
    *,
    sha256: str,
    size: int,
    media_type: str,
    name: str,
    uploader: Principal,
    at: datetime,
) -> EvidenceFile:
    """The file's row (the first upload's, if the same bytes came before) and this
    uploader's, each written once."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(EvidenceFile)
        .values(sha256=sha256, size=size, media_type=media_type, name=name, uploaded_at=at)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    await session.execute(
        insert(EvidenceFileUpload)
        .values(
            sha256=sha256,
            subject=uploader.subject,
            role=str(uploader.role),
            jurisdiction=uploader.jurisdiction,
            at=at,
        )
        .on_conflict_do_nothing(index_elements=["sha256", "subject"])
    )
    stored = await session.get(EvidenceFile, sha256)
    assert stored is not None  # written above, or by an earlier upload
    return stored


async def by_hashes(session: AsyncSession, hashes: Sequence[str]) -> dict[str, EvidenceFile]:
    """The stored files among ``hashes`` (evidence whose hash names no file is hash-only)."""
    if not hashes:
        return {}
    rows = await session.scalars(select(EvidenceFile).where(EvidenceFile.sha256.in_(hashes)))
    return {row.sha256: row for row in rows}


async def downloadable(
    session: AsyncSession, sha256: str, *, scope: Scope, subject: str
) -> EvidenceFile | None:
    """The file, if the reader may have it: evidence on an application inside ``scope``
    cites it as a stored file (reference ``tuopin:file:<sha256>``; evidence giving the
    hash with another reference cites no file), or ``subject`` uploaded it."""
    cited = (
        select(Evidence.id)
        .join(ExitApplication, ExitApplication.id == Evidence.application_id)
        .where(
            Evidence.sha256 == EvidenceFile.sha256,
            Evidence.reference == REFERENCE_PREFIX + EvidenceFile.sha256,
            in_scope(ExitApplication.unit_code, scope),
        )
        .exists()
    )
    uploaded = exists().where(
        EvidenceFileUpload.sha256 == EvidenceFile.sha256,
        EvidenceFileUpload.subject == subject,
    )
    found: EvidenceFile | None = await session.scalar(
        select(EvidenceFile).where(EvidenceFile.sha256 == sha256, or_(cited, uploaded))
    )
    return found
