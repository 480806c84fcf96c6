"""The evidence file stores: a directory (the embedded default) and an S3-compatible
bucket (production), the latter against moto's S3 server on this machine. Both keep a
file by its hash and give its bytes back; the app serves uploads and
downloads from either."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from api.config import EvidenceStoreKind, Settings
from api.demo.scenes import DOCUMENTS
from api.files.store import LocalStore, S3Store, store_of
from tests.api.conftest import demo_loaded, serving
from tests.api.test_compiled_reads import bearer
from tests.api.test_evidence_files import TEAM, UPLOAD
from tests.conftest import Database, fresh_database

BUCKET = "tuopin-evidence"
DATA = DOCUMENTS.joinpath("verification-record-2302311012020011.pdf").read_bytes()
SHA256 = hashlib.sha256(DATA).hexdigest()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch_module.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch_module.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LocalStore | S3Store:
    if request.param == "local":
        return LocalStore(tmp_path / "evidence")
    endpoint = request.getfixturevalue("s3_endpoint")
    prefix = f"{tmp_path.name}/"  # a prefix per test: the bucket outlives them
    return S3Store(boto3.client("s3", endpoint_url=endpoint), BUCKET, prefix)


async def _read(store: LocalStore | S3Store, sha256: str) -> bytes:
    return b"".join([chunk async for chunk in await store.open(sha256)])


async def test_a_store_keeps_a_file_by_its_hash_once(
    store: LocalStore | S3Store, tmp_path: Path
) -> None:
    source = tmp_path / "upload"
    source.write_bytes(DATA)
    assert not await store.has(SHA256)
    await store.put(source, sha256=SHA256, media_type="application/pdf")
    assert await store.has(SHA256)
    assert await _read(store, SHA256) == DATA
    # The same bytes put again (a second upload): the same one file.
    await store.put(source, sha256=SHA256, media_type="application/pdf")
    assert await _read(store, SHA256) == DATA
    assert source.exists()  # the caller's spooled file is the caller's
    with pytest.raises(FileNotFoundError):
        await store.open("0" * 64)  # before any byte: the route answers 503, not a cut body


async def test_the_local_store_fans_out_and_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path / "evidence")
    source = store.spool_dir() / "upload"
    source.write_bytes(DATA)

    def interrupted(*_: Any) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr("api.files.store.os.replace", interrupted)
        with pytest.raises(OSError, match="disk full"):
            await store.put(source, sha256=SHA256, media_type="application/pdf")
    assert not await store.has(SHA256)
    kept = [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]
    assert kept == [source]  # no staged leftover beside the spooled upload

    await store.put(source, sha256=SHA256, media_type="application/pdf")
    target = tmp_path / "evidence" / SHA256[:2] / SHA256[2:4] / SHA256
    kept = [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]
    assert sorted(kept) == sorted([source, target])
    assert target.stat().st_mode & 0o777 == 0o400  # the server's user only
    assert target.parent.stat().st_mode & 0o777 == 0o700


def test_the_settings_choose_the_store(tmp_path: Path) -> None:
    local = store_of(Settings(state_dir=tmp_path))
    assert isinstance(local, LocalStore)
    assert local.root == tmp_path / "evidence"
    s3 = store_of(
        Settings(
            evidence_store=EvidenceStoreKind.S3,
            s3_bucket=BUCKET,
            s3_endpoint_url="http://127.0.0.1:9",
            s3_region="cn-north-1",
        )
    )
    assert isinstance(s3, S3Store)
    assert (s3.bucket, s3.key_of(SHA256)) == (BUCKET, f"evidence/{SHA256}")
    with pytest.raises(ValueError, match="needs a bucket"):
        Settings(evidence_store=EvidenceStoreKind.S3)


@pytest.fixture(scope="module")
def s3_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("s3"), "s3") as url:
        yield url


async def test_the_app_uploads_to_and_serves_from_a_bucket(
    s3_url: str, s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = (await demo_loaded(s3_url, tmp_path_factory)).model_copy(
        update={
            "evidence_store": EvidenceStoreKind.S3,
            "s3_bucket": BUCKET,
            "s3_endpoint_url": s3_endpoint,
            "s3_prefix": f"app-{s3_url.rsplit('/', 1)[-1]}/",
        }
    )
    data = DATA + b"\n% s3"
    async with serving(settings) as client:
        answer: Any = (
            await client.post(
                "/graphql",
                data={
                    "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                    "map": json.dumps({"0": ["variables.file"]}),
                },
                files={"0": ("scan.pdf", data, "application/pdf")},
                headers=bearer(TEAM),
            )
        ).json()
        sha256 = answer["data"]["uploadEvidenceFile"]["file"]["sha256"]
        assert sha256 == hashlib.sha256(data).hexdigest()
        response: httpx.Response = await client.get(f"/files/{sha256}", headers=bearer(TEAM))
        assert response.status_code == 200
        assert response.content == data
    key = f"{settings.s3_prefix}{sha256}"
    kept = boto3.client("s3", endpoint_url=s3_endpoint).get_object(Bucket=BUCKET, Key=key)
    assert kept["Body"].read() == data
    assert kept["ContentType"] == "application/pdf"
    assert kept["Metadata"] == {"sha256": sha256}
    assert not LocalStore(settings.evidence_path).path_of(sha256).exists()  # only in the bucket
