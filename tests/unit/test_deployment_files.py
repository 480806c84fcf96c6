"""What can be checked of the Dockerfile and compose.yaml without building the image:
every command is a real ``tuopin`` subcommand with real options, every ``TUOPIN_*``
variable is a setting, every file the Dockerfile copies exists and is not ignored."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from api.cli import app
from api.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def interpolated(value: str) -> str:
    """Compose's ``${NAME:-default}`` as the default (what an unset variable gives)."""
    return _DEFAULTED.sub(lambda m: m.group(2), value)


def dockerfile_cmd() -> list[str]:
    [line] = [line for line in DOCKERFILE.splitlines() if line.startswith("CMD ")]
    cmd: list[str] = yaml.safe_load(line.removeprefix("CMD "))
    return cmd


def tuopin_commands() -> dict[str, list[str]]:
    """Each service of the tuopin image with its command (the image's CMD if none)."""
    return {
        name: [interpolated(a) for a in service.get("command", dockerfile_cmd())]
        for name, service in COMPOSE["services"].items()
        if service.get("image", "").startswith("tuopin")
    }


def parse(arguments: list[str]) -> typer.Context:
    """The arguments as ``tuopin`` parses them: unknown commands and options, or values
    of the wrong type or out of range, raise as they would at the command line."""
    group = typer.main.get_command(app)
    name, *rest = arguments
    command = getattr(group, "commands", {}).get(name)
    assert command is not None, f"tuopin has no command {name!r}"
    context: typer.Context = command.make_context(name, rest)
    return context


def test_the_compose_file_runs_the_api_the_worker_and_migrations_on_postgresql() -> None:
    services = COMPOSE["services"]
    assert services["db"]["image"] == "postgres:15"
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    commands = tuopin_commands()
    assert {name: args[0] for name, args in commands.items()} == {
        "migrate": "migrate",
        "api": "serve",
        "deliver": "deliver",
    }
    serve = parse(commands["api"]).params
    assert (serve["host"], serve["workers"]) == ("0.0.0.0", 4)  # noqa: S104  (in a container)
    for name in ("api", "deliver"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["db"]["condition"] == "service_healthy"
    assert services["api"]["environment"]["TUOPIN_MODE"] == "production"
    assert services["api"]["environment"]["TUOPIN_METRICS_TOKEN"]
    key_file = services["api"]["environment"]["TUOPIN_JWT_PUBLIC_KEY_FILE"]
    assert key_file == "/run/secrets/jwt-public-key"
    assert services["api"]["secrets"] == ["jwt-public-key"]


@pytest.mark.parametrize("service", ["migrate", "api", "deliver"])
def test_every_command_is_a_real_subcommand_with_real_options(service: str) -> None:
    parse(tuopin_commands()[service])


def test_the_parse_refuses_what_tuopin_refuses() -> None:
    """The check above can fail: a made-up option or a value out of range does."""
    with pytest.raises(Exception, match="No such option"):
        parse(["serve", "--threads", "4"])
    with pytest.raises(typer.BadParameter):
        parse(["serve", "--workers", "0"])
    with pytest.raises(AssertionError, match="no command"):
        parse(["worker"])


def test_every_tuopin_variable_named_is_a_setting() -> None:
    named = set(re.findall(r"\bTUOPIN_([A-Z0-9_]+)", DOCKERFILE + COMPOSE_TEXT))
    assert {"MODE", "DATABASE_URL", "METRICS_TOKEN", "DATABASE_READ_URL"} <= named
    unknown = sorted(n for n in named if n.lower() not in Settings.model_fields)
    assert unknown == []


def _copied_sources() -> list[str]:
    sources = []
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *paths, _destination = line.split()[1:]
            sources += [p for p in paths if not p.startswith("--")]
    return sources


def test_every_file_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    sources = _copied_sources()
    assert {"pyproject.toml", "api", "policies", "migrations", "scripts/system-deps"} <= set(
        sources
    )
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not [p for p in ignored if fnmatch.fnmatch(source, p)], source
    assert {".git", ".venv", ".env", "secrets", "*.sqlite3"} <= set(ignored)


def test_the_image_is_slim_non_root_production_with_the_pdf_fonts() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert stages
    assert all(s == "python:3.11-slim" for s in stages)
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
    assert users
    assert users[-1] not in ("root", "0")
    assert "TUOPIN_MODE=production" in DOCKERFILE
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", DOCKERFILE, re.MULTILINE)
    assert "tuopin-system-deps" in DOCKERFILE
    deps = (ROOT / "scripts" / "system-deps").read_text(encoding="utf-8")
    for package in ("fonts-noto-cjk", "libpango-1.0-0", "libharfbuzz-subset0"):
        assert package in deps
    assert 'pip install ".[otel]"' in DOCKERFILE  # a real install, not an editable one
    assert parse(dockerfile_cmd()).params["host"] == "0.0.0.0"  # noqa: S104
