"""A real uvicorn process serving the demo: GraphiQL, health and a scoped query."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

TUOPIN = str(Path(sys.executable).with_name("tuopin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    base: str
    workdir: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
    for step in (["migrate"], ["demo"]):
        subprocess.run([TUOPIN, *step], cwd=workdir, env=env, check=True, capture_output=True)
    port = _free_port()
    process = subprocess.Popen(
        [TUOPIN, "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("tuopin serve did not answer within 30 s")
        yield Served(base, workdir, env)
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def test_graphiql_is_served_in_dev_mode(server: Served) -> None:
    page = httpx.get(f"{server.base}/graphql", headers={"Accept": "text/html"}, timeout=5)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_a_dev_token_from_the_cli_reads_its_township(server: Served) -> None:
    assert httpx.get(f"{server.base}/readyz", timeout=5).json() == {"status": "ready"}
    query = '{ jurisdiction(code: "230231101") { incidence(year: 2016) { poorPopulation } } }'
    anonymous = httpx.post(f"{server.base}/graphql", json={"query": query}, timeout=10)
    assert anonymous.json()["data"]["jurisdiction"]["incidence"] is None
    token = subprocess.run(
        [TUOPIN, "token", "--role", "township_government", "--jurisdiction", "230231101"],
        cwd=server.workdir,
        env=server.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    official = httpx.post(
        f"{server.base}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert official.json()["data"]["jurisdiction"]["incidence"]["poorPopulation"] > 0
