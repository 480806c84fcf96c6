"""The tuopin command as a user meets it: one sentence and a non-zero exit on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.auth.tokens import verify_dev_token

TUOPIN = str(Path(sys.executable).with_name("tuopin"))


def run(*args: str, tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
    environment.update(env)
    return subprocess.run(
        [TUOPIN, *args],
        cwd=tmp,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("token", "--role", "emperor"), {}, "unknown role 'emperor'"),
        (
            ("token", "--role", "village_committees", "--jurisdiction", "23"),
            {},
            "village_committees is held in a village unit; 23 is a province",
        ),
        (("token", "--role", "inspector", "--jurisdiction", "2x"), {}, "not a division code"),
        (
            ("deliver", "--lease-seconds", "5", "--timeout-seconds", "10"),
            {},
            "--lease-seconds must exceed --timeout-seconds",
        ),
        (("serve",), {"TUOPIN_MODE": "production"}, "production mode needs TUOPIN_DATABASE_URL"),
        (
            ("migrate",),
            {"TUOPIN_DATABASE_URL": "mysql://localhost/tuopin"},
            "TUOPIN_DATABASE_URL is invalid",
        ),
        (
            ("demo",),
            {"TUOPIN_DATABASE_URL": "sqlite+aiosqlite:///./empty.sqlite3"},
            "the database has no tables yet; run `tuopin migrate`",
        ),
    ],
)
def test_bad_input_is_one_sentence_and_a_failing_exit(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = run(*args, tmp=tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrate_demo_and_tokens_on_a_fresh_directory(tmp_path: Path) -> None:
    assert run("migrate", tmp=tmp_path).returncode == 0
    loaded = run("demo", "--if-empty", tmp=tmp_path)
    assert loaded.returncode == 0
    assert "2956 households" in loaded.stdout
    assert "14 role holdings" in loaded.stdout
    again = run("demo", "--if-empty", tmp=tmp_path)
    assert "already loaded" in again.stdout
    refused = run("demo", tmp=tmp_path)
    assert refused.returncode != 0
    assert "already holds data" in refused.stderr
    tokens = run("tokens", tmp=tmp_path)
    assert tokens.returncode == 0
    # Beside each token, what its holder can do next, read from the loaded demo.
    assert "#   next: household 2302311012020007 waits at verification (核实认可)" in (
        tokens.stdout
    )
    assert tokens.stdout.count("#   next:") >= 13
    bearer = [line for line in tokens.stdout.splitlines() if line.startswith("Bearer ")]
    assert len(bearer) >= 12
    key = (tmp_path / ".tuopin" / "dev-signing-key").read_text().strip()
    roles = {verify_dev_token(line.split(" ", 1)[1], key=key).role for line in bearer}
    assert len(roles) == 12
