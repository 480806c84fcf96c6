"""Reads the policy files under ``policies/`` and hands plain data to the domain parsers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from api.domain.rules import StandardsPolicy, parse_standards
from api.errors import ConfigurationError, ValidationFailed

POLICIES_DIR = Path(__file__).resolve().parent.parent / "policies"


def load_standards(path: Path | None = None) -> StandardsPolicy:
    path = path or POLICIES_DIR / "standards.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from None
    try:
        return parse_standards(data)
    except ValidationFailed as exc:
        where = ".".join(exc.path) or "top level"
        raise ConfigurationError(f"{path} at {where}: {exc.message}") from None


@lru_cache(maxsize=1)
def standards() -> StandardsPolicy:
    return load_standards()
