"""Every GraphQL block of the README runs as written, in order, against a freshly
loaded demo (`tuopin demo`), with the token of the role named on the line before it.

A block is preceded by ``> as `role` in CODE`` (the printed dev token of that holding)
or ``> as the public (no token)``; it holds one operation. A query must answer without
errors; a mutation's every root field must answer with its success type.
"""

from __future__ import annotations

import re
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
    r"|(?P<public>the public) \(no token\))\n\n```graphql\n(?P<body>.*?)```",
    re.S | re.M,
)
ANY_BLOCK = re.compile(r"^```graphql\n", re.M)


@dataclass(frozen=True)
class Example:
    line: int
    holder: tuple[Role, str] | None
    document: str

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
        )
        for m in BLOCK.finditer(text)
    ]
    assert len(found) == len(ANY_BLOCK.findall(text)), (
        "every ```graphql block of the README says whose token runs it (> as `role` in CODE)"
    )
    return found


EXAMPLES = examples()


def test_every_example_names_a_printed_token_and_holds_one_operation() -> None:
    assert len(EXAMPLES) >= 15
    for example in EXAMPLES:
        if example.holder is not None:
            assert example.holder in HOLDINGS, f"{example}: no printed token holds {example.holder}"
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


async def test_every_example_runs_as_written_in_order(demo_client: httpx.AsyncClient) -> None:
    for example in EXAMPLES:
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
