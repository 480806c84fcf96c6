"""Evidence files over HTTP: uploaded with the GraphQL multipart request spec, hashed and
typed by the server, cited by a stage's evidence, listed with it, and downloaded by the
application's readers and the uploader only. Refused uploads store nothing.

On the demo (its documents are stored when it loads), on both databases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.config import Settings
from api.db import models
from api.db.session import create_engine, session_factory
from api.demo.scenes import DOCUMENTS
from api.demo.tokens import HEILONGJIANG_VILLAGE, LANSHAN_TOWN
from api.domain.roles import Role
from api.services import access
from tests.api.conftest import demo_loaded, serving
from tests.api.test_compiled_reads import bearer
from tests.conftest import Database, fresh_database

TEAM = (Role.RESIDENT_WORK_TEAM, HEILONGJIANG_VILLAGE)
COMMITTEE = (Role.VILLAGE_COMMITTEES, HEILONGJIANG_VILLAGE)
TOWN = (Role.TOWNSHIP_GOVERNMENT, HEILONGJIANG_VILLAGE[:9])
COUNTY = (Role.COUNTY_LEADING_GROUP, HEILONGJIANG_VILLAGE[:6])
INSPECTOR = (Role.INSPECTOR, "23")
INTEGRATOR = (Role.INTEGRATOR, "23")
EVALUATOR = (Role.THIRD_PARTY_EVALUATOR, HEILONGJIANG_VILLAGE[:6])
"""Granted here: an evaluator of the county reads only what it is assigned."""
LANSHAN = (Role.TOWNSHIP_GOVERNMENT, LANSHAN_TOWN)
"""A town in another province."""

ACKNOWLEDGMENT = DOCUMENTS / "household-acknowledgment-2302311012020007.pdf"
VERIFIED = DOCUMENTS / "verification-record-2302311012020011.pdf"
"""Cited by the demo's verification of 2302311012020011 (application 2)."""
APPLICATION_4 = "RXhpdEFwcGxpY2F0aW9uOjQ="  # 2302311012020007, waiting at verification
APPLICATION_2 = "RXhpdEFwcGxpY2F0aW9uOjI="

UPLOAD = """mutation ($file: Upload!) { uploadEvidenceFile(file: $file) {
  __typename
  ... on EvidenceFileSuccess { file { sha256 size mediaType name reference downloadPath } }
  ... on Error { code message }
  ... on ValidationFailedError { path } } }"""

EVIDENCE = """query ($id: ID!) { node(id: $id) { ... on ExitApplication {
  evidence { kind sha256 reference file { sha256 size mediaType name downloadPath } } } } }"""

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def files_url(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("files"), "files") as url:
        yield url


@pytest.fixture(scope="module")
async def files_settings(files_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = await demo_loaded(files_url, tmp_path_factory)
    engine = create_engine(files_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            role, code = EVALUATOR
            await access.grant_bootstrap(
                session,
                subject=f"dev:{role}:{code}",
                role=role,
                jurisdiction=code,
                now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()
    return settings


@pytest.fixture(scope="module")
async def client(files_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(files_settings) as client:
        yield client


async def upload(
    client: httpx.AsyncClient,
    holder: tuple[Role, str] | None,
    data: bytes,
    name: str = "scan.pdf",
    media_type: str = "application/pdf",
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (name, data, media_type)},
        headers={} if holder is None else bearer(holder),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["uploadEvidenceFile"]
    return payload


async def evidence_of(
    client: httpx.AsyncClient, application: str, holder: tuple[Role, str]
) -> list[dict[str, Any]]:
    response = await client.post(
        "/graphql",
        json={"query": EVIDENCE, "variables": {"id": application}},
        headers=bearer(holder),
    )
    body = response.json()
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["node"]["evidence"]
    return found


async def download(
    client: httpx.AsyncClient, sha256: str, holder: tuple[Role, str] | None
) -> httpx.Response:
    return await client.get(f"/files/{sha256}", headers={} if holder is None else bearer(holder))


async def stored(settings: Settings) -> tuple[int, list[Path]]:
    """Rows in evidence_files, and the files in the store (spooled uploads included)."""
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.scalar(select(func.count()).select_from(models.EvidenceFile))
    finally:
        await engine.dispose()
    root = settings.evidence_path
    return int(rows or 0), sorted(p for p in root.rglob("*") if p.is_file())


async def test_the_demo_lists_evidence_with_its_file(
    client: httpx.AsyncClient, files_settings: Settings
) -> None:
    sha256 = hashlib.sha256(VERIFIED.read_bytes()).hexdigest()
    evidence = await evidence_of(client, APPLICATION_2, COUNTY)
    with_files = [e for e in evidence if e["file"] is not None]
    assert with_files == [
        {
            "kind": "VERIFICATION_RECORD",
            "sha256": sha256,
            "reference": f"tuopin:file:{sha256}",
            "file": {
                "sha256": sha256,
                "size": VERIFIED.stat().st_size,
                "mediaType": "application/pdf",
                "name": VERIFIED.name,
                "downloadPath": f"/files/{sha256}",
            },
        }
    ]
    assert len(evidence) > len(with_files)  # hash-only evidence is listed as before
    response = await download(client, sha256, COUNTY)
    assert response.status_code == 200
    assert response.content == VERIFIED.read_bytes()
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in response.headers["content-disposition"]


async def test_an_upload_is_hashed_and_typed_by_the_server(
    client: httpx.AsyncClient, files_settings: Settings
) -> None:
    rows, kept = await stored(files_settings)
    answer = await upload(client, TEAM, PNG, name="../../照\u202e片.txt", media_type="text/plain")
    sha256 = hashlib.sha256(PNG).hexdigest()
    assert answer == {
        "__typename": "EvidenceFileSuccess",
        "file": {
            "sha256": sha256,
            "size": len(PNG),
            "mediaType": "image/png",  # from its bytes, not from what the client said
            "name": "照片.txt",
            "reference": f"tuopin:file:{sha256}",
            "downloadPath": f"/files/{sha256}",
        },
    }
    again = await upload(client, COMMITTEE, PNG, name="other.png", media_type="image/png")
    assert again["file"]["sha256"] == sha256
    assert again["file"]["name"] == "照片.txt"  # the first upload's
    rows_after, kept_after = await stored(files_settings)
    assert rows_after == rows + 1
    # One copy of the bytes, where the store keeps them; no spooled leftovers.
    root = files_settings.evidence_path
    assert kept_after == sorted([*kept, root / sha256[:2] / sha256[2:4] / sha256])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"just some text, not a document\n" * 10, "not a file accepted as evidence"),
        (b"MZ\x90\x00" + bytes(200), "not a file accepted as evidence"),
    ],
)
async def test_a_refused_upload_stores_nothing(
    client: httpx.AsyncClient, files_settings: Settings, data: bytes, message: str
) -> None:
    before = await stored(files_settings)
    answer = await upload(client, TEAM, data)
    assert answer["__typename"] == "ValidationFailedError"
    assert answer["path"] == ["file"]
    assert message in answer["message"]
    assert await stored(files_settings) == before


async def test_a_file_over_the_limit_stores_nothing(
    files_settings: Settings,
) -> None:
    small = files_settings.model_copy(update={"evidence_max_bytes": 1000})
    before = await stored(small)
    async with serving(small) as client:
        answer = await upload(client, TEAM, PNG)  # 1,032 bytes
        assert answer["__typename"] == "ValidationFailedError"
        assert "over the limit of 1,000 bytes" in answer["message"]
        # A body past the limit and its allowance is refused before it is read.
        response = await client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("big.png", PNG * 1100, "image/png")},
            headers=bearer(TEAM),
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await stored(small) == before


async def test_who_may_upload(client: httpx.AsyncClient, files_settings: Settings) -> None:
    """Every role that performs a stage, posts a notice or submits an evaluation uploads,
    in its own jurisdiction (an upload names no other unit); inspectors and integrators
    do not, nor does the public."""
    before = await stored(files_settings)
    for holder in (INSPECTOR, INTEGRATOR):
        answer = await upload(client, holder, PNG + b"x")
        assert answer["__typename"] == "NotPermittedError", holder
    anonymous = await upload(client, None, PNG + b"x")
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert await stored(files_settings) == before
    for holder in (COMMITTEE, TOWN, COUNTY, LANSHAN):
        answer = await upload(client, holder, PNG + holder[1].encode())
        assert answer["__typename"] == "EvidenceFileSuccess", holder


async def test_a_download_is_scoped_like_the_application_citing_the_file(
    client: httpx.AsyncClient,
) -> None:
    data = ACKNOWLEDGMENT.read_bytes()
    sha256 = (await upload(client, TEAM, data, name=ACKNOWLEDGMENT.name))["file"]["sha256"]
    # Cited by nothing yet: only its uploader has it.
    assert (await download(client, sha256, TEAM)).content == data
    assert (await download(client, sha256, COUNTY)).status_code == 404

    performed = await client.post(
        "/graphql",
        json={
            "query": """mutation ($id: ID!, $sha: String!, $ref: String!) {
              performStage(input: {applicationId: $id, stage: "verification",
                decision: APPROVE, evidence: [
                  {kind: VERIFICATION_RECORD, reference: "核实表", sha256: $sha},
                  {kind: HOUSEHOLD_ACKNOWLEDGMENT, reference: $ref, sha256: $sha}]}) {
                __typename ... on Error { message } } }""",
            "variables": {"id": APPLICATION_4, "sha": sha256, "ref": f"tuopin:file:{sha256}"},
        },
        headers=bearer(TEAM),
    )
    assert performed.json()["data"]["performStage"]["__typename"] == "ApplicationSuccess"
    listed = await evidence_of(client, APPLICATION_4, COUNTY)
    assert {e["file"]["sha256"] for e in listed if e["file"]} == {sha256}

    # Allowed: the application's readers, up the tiers.
    for holder in (TEAM, COMMITTEE, TOWN, COUNTY):
        response = await download(client, sha256, holder)
        assert response.status_code == 200, holder
        assert response.content == data
    # Wrong role: an evaluator reads only what it is assigned; the public nothing.
    assert (await download(client, sha256, EVALUATOR)).status_code == 404
    assert (await download(client, sha256, None)).status_code == 404
    # Out of jurisdiction: a town in another province.
    refused = await download(client, sha256, LANSHAN)
    assert refused.status_code == 404
    assert refused.text == "no such file, or not one you may read"
    # No such file, and not a hash at all: the same answer.
    assert (await download(client, "0" * 64, COUNTY)).text == refused.text
    assert (await download(client, "..%2f..%2fetc%2fpasswd", COUNTY)).status_code == 404
    assert (await download(client, "Z" * 64, COUNTY)).text == refused.text  # not a hash


async def test_only_a_reader_of_a_file_cites_it(client: httpx.AsyncClient) -> None:
    """Citing a stored file lets the application's readers download it: knowing its hash
    is not enough. The demo's verification record of 拜泉县 is no Lanshan official's."""
    sha256 = hashlib.sha256(VERIFIED.read_bytes()).hexdigest()
    lanshan_application = await _lanshan_application(client)

    async def reject_citing(reference: str) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={
                "query": REJECT,
                "variables": {"id": lanshan_application, "sha": sha256, "ref": reference},
            },
            headers=bearer(LANSHAN),
        )
        answer: dict[str, Any] = response.json()["data"]["performStage"]
        return answer

    answer = await reject_citing(f"tuopin:file:{sha256}")
    assert answer["__typename"] == "ValidationFailedError"
    assert answer["path"] == ["evidence", "0", "reference"]
    assert (await download(client, sha256, LANSHAN)).status_code == 404
    # A reference that names another file than the hash: refused alike.
    other = await reject_citing(f"tuopin:file:{'0' * 64}")
    assert other["path"] == ["evidence", "0", "reference"]
    # The hash with a reference of one's own is hash-only evidence: accepted, no file.
    by_hash = await reject_citing("抽查记录 复印件")
    assert by_hash["__typename"] == "ApplicationSuccess"
    assert (await download(client, sha256, LANSHAN)).status_code == 404
    listed = await evidence_of(client, lanshan_application, LANSHAN)
    assert [e["file"] for e in listed if e["sha256"] == sha256] == [None]


async def test_a_row_without_its_bytes_is_an_error_not_a_cut_body(
    client: httpx.AsyncClient, files_settings: Settings
) -> None:
    data = PNG + b"lost"
    sha256 = (await upload(client, TEAM, data))["file"]["sha256"]
    kept = files_settings.evidence_path / sha256[:2] / sha256[2:4] / sha256
    kept.unlink()
    response = await download(client, sha256, TEAM)
    assert response.status_code == 503
    assert "not available" in response.text


REJECT = """mutation ($id: ID!, $sha: String!, $ref: String!) {
  performStage(input: {applicationId: $id, stage: "town_spot_check", decision: REJECT,
    reason: "抽查不合格", evidence: [{kind: VERIFICATION_RECORD, reference: $ref, sha256: $sha}]}) {
    __typename ... on ValidationFailedError { path message } ... on Error { message } } }"""


async def _lanshan_application(client: httpx.AsyncClient) -> str:
    """The Lanshan household application waiting at the town's spot check."""
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { inbox(first: 20) { id currentStage { code } } } }"},
        headers=bearer(LANSHAN),
    )
    inbox = response.json()["data"]["viewer"]["inbox"]
    (found,) = [a["id"] for a in inbox if a["currentStage"]["code"] == "town_spot_check"]
    return str(found)
