"""GraphiQL loads from the API's own files in a real headless Chromium with every
request outside 127.0.0.1 blocked: the editor renders with its default query, a query
runs with a dev token from the headers, and a Chinese label shows in the answer."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
import uvicorn
from pydantic import SecretStr

from api.app import create_app
from api.auth.tokens import issue_dev_token
from api.config import Settings
from api.demo.command import load_demo
from api.demo.tokens import HEILONGJIANG_VILLAGE, dev_subject
from api.domain.roles import Principal, Role
from api.graphiql import ide
from api.migrations import upgrade
from tests.conftest import IN_CI

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KEY = "browser-test-key-" + "y" * 32


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API serving a freshly loaded demo on a free port of 127.0.0.1."""
    directory = tmp_path_factory.mktemp("browser")
    url = f"sqlite+aiosqlite:///{directory / 'demo.sqlite3'}"
    upgrade(url)
    settings = Settings(
        database_url=url, state_dir=directory / "state", dev_signing_key=SecretStr(KEY)
    )
    asyncio.run(load_demo(settings, if_empty=False, seed=2016))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def test_graphiql_runs_offline_in_chromium(server: str, tmp_path: Path) -> None:
    _need(Path(CHROMIUM).is_file(), "Chromium is not installed (scripts/system-deps --test)")
    _need(ide.installed(), "GraphiQL's files are not fetched (scripts/graphiql-assets)")
    from playwright.sync_api import sync_playwright

    holder = Principal(
        subject=dev_subject(Role.VILLAGE_COMMITTEES, HEILONGJIANG_VILLAGE),
        role=Role.VILLAGE_COMMITTEES,
        jurisdiction=HEILONGJIANG_VILLAGE,
    )
    token = issue_dev_token(holder, key=KEY, ttl=timedelta(minutes=10))
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    blocked: list[str] = []
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()

            def only_here(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if urlparse(request.url).hostname == "127.0.0.1":
                    route.continue_()  # type: ignore[attr-defined]
                else:
                    blocked.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            page.route("**/*", only_here)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{server}/graphql")
            page.wait_for_selector(".graphiql-container", timeout=20_000)
            editor = ".graphiql-query-editor .CodeMirror"
            page.wait_for_selector(editor)
            shown = page.evaluate(f"document.querySelector('{editor}').CodeMirror.getValue()")
            assert "query Start" in shown  # the default query
            assert "tuopin tokens" in shown  # and the hint for a token

            # The token pasted into Headers, as the page's hint says; the default query runs.
            page.evaluate(
                "(h) => {"
                "  const tools = document.querySelectorAll('.graphiql-editor-tool .CodeMirror');"
                "  tools[tools.length - 1].CodeMirror.setValue(h);"
                "}",
                headers,
            )
            page.click(".graphiql-execute-button")
            page.wait_for_function(
                "() => (document.querySelector('.graphiql-response .CodeMirror')"
                "?.CodeMirror.getValue() || '').includes('roleLabel')",
                timeout=20_000,
            )
            answer = json.loads(
                page.evaluate(
                    "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
                )
            )
            page.screenshot(path=str(tmp_path / "graphiql.png"))  # kept for a failing run
        finally:
            browser.close()

    assert "errors" not in answer
    assert answer["data"]["viewer"]["roleLabel"] == "村“两委”"
    assert answer["data"]["viewer"]["inbox"][0]["currentStage"]["zh"] == "村内公示"
    assert answer["data"]["jurisdiction"]["name"] == "三道镇"
    assert blocked == []
    assert problems == []


def test_the_page_and_assets_are_the_projects_own(server: str) -> None:
    import httpx

    _need(ide.installed(), "GraphiQL's files are not fetched (scripts/graphiql-assets)")
    page = httpx.get(f"{server}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "unpkg" not in page.text
    assert "cdn" not in page.text.lower()
    for name, media_type in ide.ASSETS.items():
        asset = httpx.get(f"{server}/graphiql/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"] == media_type
    assert httpx.get(f"{server}/graphiql/..%2Fide.py").status_code == 404
    assert httpx.get(f"{server}/graphiql/package.json").status_code == 404


def test_missing_assets_say_which_command_fetches_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ide, "STATIC", Path("/nonexistent"))
    page = ide.page()
    assert page.status_code == 503
    assert b"scripts/graphiql-assets" in page.body
