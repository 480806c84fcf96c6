"""Where evidence files' bytes are kept, by their SHA-256: a directory, or an S3 bucket.

Both stores are content-addressed and write-once: putting a file that is already there
changes nothing, and a file is never changed or removed through the API. The bytes are
stored, durably, before the file's row is written (``api/services/evidence_files.py``);
a row whose transaction then fails leaves bytes nobody can reach (downloads start from
the row), never a row without its bytes.

The S3 store talks through boto3 (any S3-compatible service: AWS, MinIO, Alibaba OSS,
Tencent COS), whose calls block: they run in worker threads.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

import anyio.to_thread

from api.config import EvidenceStoreKind, Settings

CHUNK = 64 * 1024


class FileStore(Protocol):
    def spool_dir(self) -> Path | None:
        """Where to spool an upload before ``put`` (None: the system's temporary files)."""

    async def put(self, source: Path, *, sha256: str, media_type: str) -> None:
        """Keep the file at ``source`` (a spooled upload whose hash is ``sha256``),
        durably, before returning."""

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The stored file's bytes, in order; FileNotFoundError, before any byte, if
        the store has no such file."""


class LocalStore:
    """``<root>/ab/cd/abcd…``: two levels of fan-out keep directories small. Files are
    readable by the server's user only (0400 in 0700 directories)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def spool_dir(self) -> Path:
        """Uploads are spooled on the store's file system, so keeping one is a link."""
        spool = self.root / "spool"
        spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        return spool

    async def put(self, source: Path, *, sha256: str, media_type: str) -> None:
        await anyio.to_thread.run_sync(self._put, source, sha256)

    def _put(self, source: Path, sha256: str) -> None:
        target = self.path_of(sha256)
        if target.exists():
            return
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staged = target.with_name(f".{sha256}.{os.getpid()}.{uuid.uuid4().hex}")
        try:
            try:
                os.link(source, staged)  # the spool is on this file system: no copy
            except OSError:
                shutil.copyfile(source, staged)
            with staged.open("rb") as written:
                os.fsync(written.fileno())  # the bytes are on disk before the row commits
            os.chmod(staged, 0o400)
            os.replace(staged, target)  # atomic: a reader sees all of it or nothing
        finally:
            staged.unlink(missing_ok=True)
        _fsync_dir(target.parent)

    async def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        handle = await anyio.to_thread.run_sync(self.path_of(sha256).open, "rb")
        return _chunks(handle.read, handle.close)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


async def _chunks(read: Callable[[int], bytes], close: Callable[[], None]) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(read, CHUNK):
            yield chunk
    finally:
        close()


class S3Store:
    """``s3://<bucket>/<prefix><sha256>``, with the media type and the hash as metadata.
    A put is a PUT, even of a file already there (the same key holds the same bytes):
    asking first would need ``s3:ListBucket`` to tell a missing key from a refusal."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def spool_dir(self) -> Path | None:
        return None

    async def put(self, source: Path, *, sha256: str, media_type: str) -> None:
        await anyio.to_thread.run_sync(self._upload, source, sha256, media_type)

    def _upload(self, source: Path, sha256: str, media_type: str) -> None:
        self._client.upload_file(
            str(source),
            self.bucket,
            self.key_of(sha256),
            ExtraArgs={"ContentType": media_type, "Metadata": {"sha256": sha256}},
        )

    async def has(self, sha256: str) -> bool:
        try:
            body = await self._get(sha256)
        except FileNotFoundError:
            return False
        body.close()
        return True

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        body = await self._get(sha256)
        return _chunks(body.read, body.close)

    async def _get(self, sha256: str) -> Any:
        from botocore.exceptions import ClientError

        try:
            answer = await anyio.to_thread.run_sync(
                lambda: self._client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(self.key_of(sha256)) from None
            raise
        return answer["Body"]


def store_of(settings: Settings) -> LocalStore | S3Store:
    """The store the settings name."""
    if settings.evidence_store is EvidenceStoreKind.S3:
        import boto3

        assert settings.s3_bucket is not None  # Settings checks it
        client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region
        )
        return S3Store(client, settings.s3_bucket, settings.s3_prefix)
    return LocalStore(settings.evidence_path)
