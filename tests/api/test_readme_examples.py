"""Every GraphQL block of the README runs as written, in order, against a freshly
loaded demo (`tuopin demo`), with the token of the role named on the line before it.

A block is preceded by ``> as `role` in CODE`` (the printed dev token of that holding)
or ``> as the public (no token)``; it holds one operation. A query must answer without
errors; a mutation's every root field must answer with its success type.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, parse

from api.auth.tokens import issue_dev_token
from api.demo.command import load_demo
from api.demo.tokens import HOLDINGS, dev_subject
from api.domain.roles import Principal, Role
from tests.api.conftest import KEY, own_settings, serving
from tests.conftest import Database, fresh_database

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"^> as (?:`(?P<role>\w+)` in (?P<code>\d+|the whole country)"
    r"|(?P<public>the public) \(no token\))\n\n```(?P<kind>graphql|sh)\n(?P<body>.*?)```",
    re.S | re.M,
)
ANY_BLOCK = re.compile(r"^```graphql\n|^```sh\ncurl ", re.M)
ROOT = README.parent
SERVER = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Example:
    line: int
    holder: tuple[Role, str] | None
    document: str
    kind: str = "graphql"
    """``graphql``: a document to POST; ``sh``: a curl command against the server."""

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def examples() -> list[Example]:
    text = README.read_text(encoding="utf-8")
    found = [
        Example(
            line=text.count("\n", 0, m.start("body")) + 1,
            holder=None
            if m["public"]
            else (Role(m["role"]), "" if m["code"] == "the whole country" else m["code"]),
            document=m["body"],
            kind=m["kind"],
        )
        for m in BLOCK.finditer(text)
    ]
    assert len(found) == len(ANY_BLOCK.findall(text)), (
        "every ```graphql block and ```sh curl block of the README says whose token runs "
        "it (> as `role` in CODE)"
    )
    return found


EXAMPLES = examples()


def test_every_example_names_a_printed_token_and_holds_one_operation() -> None:
    assert len(EXAMPLES) >= 15
    for example in EXAMPLES:
        if example.holder is not None:
            assert example.holder in HOLDINGS, f"{example}: no printed token holds {example.holder}"
        if example.kind == "sh":
            curl(example.document)  # parses
            continue
        operations = [
            d for d in parse(example.document).definitions if isinstance(d, OperationDefinitionNode)
        ]
        assert len(operations) == 1, f"{example}: one operation per block"
        assert "…" not in example.document, f"{example}: a placeholder"
        assert "<" not in example.document, f"{example}: a placeholder"


@pytest.fixture(scope="module")
def readme_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("readme"), "readme") as url:
        yield url


@pytest.fixture(scope="module")
async def demo_client(
    readme_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    settings = own_settings(readme_database, tmp_path_factory)
    assert await load_demo(settings, if_empty=False, seed=2016) is not None
    async with serving(settings) as client:
        yield client


def bearer(holder: tuple[Role, str]) -> dict[str, str]:
    role, code = holder
    principal = Principal(subject=dev_subject(role, code), role=role, jurisdiction=code)
    token = issue_dev_token(principal, key=KEY, ttl=timedelta(minutes=10))
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Curl:
    """What a README curl command sends: the subset of curl the README uses (-s, -o, -H,
    -F with ``@file`` parts, one URL on this server)."""

    path: str
    headers: dict[str, str]
    fields: dict[str, str]
    files: dict[str, Path]


def curl(command: str) -> Curl:
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl", command
    path, headers, fields, files = "", {}, {}, {}
    rest = iter(words[1:])
    for word in rest:
        if word in {"-s", "-f", "-sf"}:
            continue
        if word == "-o":
            next(rest)
        elif word == "-H":
            name, _, value = next(rest).partition(": ")
            headers[name] = value
        elif word == "-F":
            name, _, value = next(rest).partition("=")
            if value.startswith("@"):
                files[name] = ROOT / value[1:]
                assert files[name].is_file(), f"{value}: no such file in the repository"
            else:
                fields[name] = value
        else:
            assert word.startswith(SERVER), f"unexpected curl argument {word!r}"
            assert not path, f"a second URL {word!r}"
            path = word.removeprefix(SERVER)
    assert path, command
    return Curl(path, headers, fields, files)


async def run_curl(client: httpx.AsyncClient, example: Example) -> None:
    sent = curl(example.document)
    assert sent.headers == {"Authorization": "Bearer $TOKEN"}, f"{example}: the printed token"
    assert example.holder is not None
    headers = bearer(example.holder)
    if not sent.fields and not sent.files:
        response = await client.get(sent.path, headers=headers)
        assert response.status_code == 200, f"{example}: {response.text}"
        return
    files = {name: (path.name, path.read_bytes()) for name, path in sent.files.items()}
    response = await client.post(sent.path, data=sent.fields, files=files, headers=headers)
    assert response.status_code == 200, f"{example}: {response.text}"
    answer = response.json()
    assert "errors" not in answer, f"{example}: {answer['errors']}"
    for field, payload in answer["data"].items():
        assert not payload["__typename"].endswith("Error"), f"{example}: {field}: {payload}"


async def test_every_example_runs_as_written_in_order(demo_client: httpx.AsyncClient) -> None:
    for example in EXAMPLES:
        if example.kind == "sh":
            await run_curl(demo_client, example)
            continue
        headers = {} if example.holder is None else bearer(example.holder)
        response = await demo_client.post(
            "/graphql", json={"query": example.document}, headers=headers
        )
        assert response.status_code == 200, f"{example}: {response.text}"
        answer = response.json()
        assert "errors" not in answer, f"{example}: {answer['errors']}"
        (operation,) = [
            d for d in parse(example.document).definitions if isinstance(d, OperationDefinitionNode)
        ]
        if operation.operation is OperationType.MUTATION:
            for field, payload in answer["data"].items():
                typename = payload["__typename"]
                assert not typename.endswith("Error"), f"{example}: {field} answered {payload}"


def test_a_file_the_readme_uploads_is_the_one_its_later_examples_cite() -> None:
    text = README.read_text(encoding="utf-8")
    uploads = [e for e in EXAMPLES if e.kind == "sh" and curl(e.document).files]
    assert uploads, "the README shows an upload"
    for example in uploads:
        for path in curl(example.document).files.values():
            sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
            after = text.split(example.document, 1)[1]
            assert f'sha256: "{sha256}"' in after, f"{example}: {path.name} is not cited after it"
            assert f"/files/{sha256}" in after, f"{example}: {path.name} is not downloaded after it"
