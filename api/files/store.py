"""Where evidence files' bytes are kept, by their SHA-256: a directory, or an S3 bucket.

Both stores are content-addressed and write-once: putting a file that is already there
changes nothing, and a file is never changed or removed through the API. The bytes are
stored before the file's row is written (``api/services/evidence_files.py``); a row
whose transaction then fails leaves bytes nobody can reach (downloads start from the
row), never a row without its bytes.

The S3 store talks through boto3 (any S3-compatible service: AWS, MinIO, Alibaba OSS,
Tencent COS), whose calls block: they run in worker threads.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import anyio.to_thread

from api.config import EvidenceStoreKind, Settings

CHUNK = 64 * 1024


class FileStore(Protocol):
    async def put(self, source: Path, *, sha256: str, media_type: str) -> None:
        """Keep the file at ``source`` (a spooled upload whose hash is ``sha256``)."""

    async def has(self, sha256: str) -> bool: ...

    def chunks(self, sha256: str) -> AsyncIterator[bytes]:
        """The stored file's bytes, in order."""


class LocalStore:
    """``<root>/ab/cd/abcd…``: two levels of fan-out keep directories small."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def spool_dir(self) -> Path:
        """Where uploads are spooled: on the store's file system, so keeping one is a rename."""
        spool = self.root / "spool"
        spool.mkdir(parents=True, exist_ok=True)
        return spool

    async def put(self, source: Path, *, sha256: str, media_type: str) -> None:
        await anyio.to_thread.run_sync(self._put, source, sha256)

    def _put(self, source: Path, sha256: str) -> None:
        target = self.path_of(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{sha256}.{os.getpid()}.{id(source)}")
        shutil.copyfile(source, staged)  # the spool file is the caller's to remove
        os.chmod(staged, 0o444)
        os.replace(staged, target)  # atomic: a reader sees all of it or nothing

    async def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    async def chunks(self, sha256: str) -> AsyncIterator[bytes]:
        handle = await anyio.to_thread.run_sync(self.path_of(sha256).open, "rb")
        try:
            while chunk := await anyio.to_thread.run_sync(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()


class S3Store:
    """``s3://<bucket>/<prefix><sha256>``, with the media type and the hash as metadata."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def spool_dir(self) -> Path | None:
        return None  # the system's temporary directory

    async def put(self, source: Path, *, sha256: str, media_type: str) -> None:
        if await self.has(sha256):
            return
        await anyio.to_thread.run_sync(self._upload, source, sha256, media_type)

    def _upload(self, source: Path, sha256: str, media_type: str) -> None:
        self._client.upload_file(
            str(source),
            self.bucket,
            self.key_of(sha256),
            ExtraArgs={"ContentType": media_type, "Metadata": {"sha256": sha256}},
        )

    async def has(self, sha256: str) -> bool:
        return await anyio.to_thread.run_sync(self._has, sha256)

    def _has(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=self.key_of(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    async def chunks(self, sha256: str) -> AsyncIterator[bytes]:
        answer = await anyio.to_thread.run_sync(
            lambda: self._client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))
        )
        body = answer["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, CHUNK):
                yield chunk
        finally:
            body.close()


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
