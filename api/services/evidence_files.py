"""Uploading an evidence file and reading one back.

The server computes the file's SHA-256 while it receives it, and learns what the file is
from its first bytes (api/domain/evidence_files.py); a file over the size limit, empty,
or of a kind not accepted is refused with nothing stored. Stage actions then cite the
file by that hash, as they cite any evidence; evidence that names a hash no file has
stays hash-only, as before files were kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.authz.policy import Action
from api.db.models import EvidenceFile
from api.db.repositories import evidence_files as repo
from api.domain import evidence_files as files
from api.domain.roles import Principal
from api.errors import ValidationFailed
from api.files.store import FileStore
from api.services import access
from api.services.workflow import Env

OBJECT = "evidence_files"
CHUNK = 64 * 1024


class Incoming(Protocol):
    """An uploaded part as Starlette gives it (``UploadFile``)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Spooled:
    path: Path
    sha256: str
    size: int
    media_type: str


async def authorize_upload(
    session: AsyncSession, authorizer: Authorizer, principal: Principal
) -> None:
    """NotPermitted unless the principal's role uploads evidence (where it is held)."""
    await access.authorize(
        session,
        authorizer,
        principal,
        domain=principal.jurisdiction,
        obj=OBJECT,
        action=Action.UPLOAD,
    )


async def keep(incoming: Incoming, store: FileStore, limits: files.Limits) -> Spooled:
    """The upload received, checked and stored (no database connection is held the
    while); its spooled copy removed. ValidationFailed, with nothing stored, for a file
    that may not be kept."""
    spooled = await spool(incoming, store.spool_dir(), limits)
    try:
        await store.put(spooled.path, sha256=spooled.sha256, media_type=spooled.media_type)
    finally:
        _discard(spooled.path)
    return spooled


async def record(
    env: Env, principal: Principal, kept: Spooled, *, name: str | None
) -> EvidenceFile:
    """The stored file's row (the first upload's, if the bytes came before) and this
    principal as one of its uploaders, in the use case's transaction."""
    await authorize_upload(env.session, env.authorizer, principal)  # still held
    return await repo.record_upload(
        env.session,
        sha256=kept.sha256,
        size=kept.size,
        media_type=kept.media_type,
        name=files.clean_name(name),
        uploader=principal,
        at=env.now,
    )


async def spool(incoming: Incoming, folder: Path | None, limits: files.Limits) -> Spooled:
    """The upload written to a temporary file in ``folder``, hashed and measured as it
    comes; ValidationFailed (and no file left) for one that may not be kept."""
    handle, name = tempfile.mkstemp(prefix="upload-", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            digest, size, head = hashlib.sha256(), 0, b""
            while chunk := await incoming.read(CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise ValidationFailed(
                        f"the file is over the limit of {limits.max_bytes:,} bytes",
                        path=("file",),
                    )
                if len(head) < files.SNIFF_BYTES:
                    head += chunk[: files.SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed("the file is empty", path=("file",))
        media_type = files.sniff(head)
        if media_type is None:
            raise ValidationFailed(
                f"not a file accepted as evidence: {limits.describe()}", path=("file",)
            )
    except BaseException:
        _discard(path)
        raise
    return Spooled(path, digest.hexdigest(), size, media_type)


def _discard(path: Path) -> None:
    """Remove a spooled upload (a local unlink: no wait worth a thread)."""
    path.unlink(missing_ok=True)


async def downloadable(
    session: AsyncSession, principal: Principal | None, sha256: str
) -> EvidenceFile | None:
    """The file if ``principal`` may download it (scoped in SQL like the applications
    citing it); None for anyone else, for the public and for a malformed hash."""
    if principal is None or not files.is_sha256(sha256):
        return None
    return await repo.downloadable(
        session, sha256, scope=principal.read_scope(), subject=principal.subject
    )
