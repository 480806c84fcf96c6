"""Loads every procedure file under ``policies/procedures/`` and binds units to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from api.domain.jurisdictions import contains
from api.domain.procedures import Procedure, parse_procedure
from api.errors import ConfigurationError, NotFound, ValidationFailed
from api.policy_files import POLICIES_DIR

PROCEDURES_DIR = POLICIES_DIR / "procedures"


@dataclass(frozen=True, slots=True)
class ProcedureBook:
    """The procedures in force, and which unit each one governs."""

    procedures: Mapping[str, Procedure]

    def for_unit(self, code: str) -> Procedure:
        """The procedure of the most local file whose ``applies_to`` contains ``code``."""
        best: tuple[int, Procedure] | None = None
        for procedure in self.procedures.values():
            for prefix in procedure.applies_to:
                if contains(prefix, code) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), procedure)
        if best is None:
            raise NotFound("procedure for unit", code)
        return best[1]


def load_book(directory: Path = PROCEDURES_DIR) -> ProcedureBook:
    procedures: dict[str, Procedure] = {}
    claimed: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            procedure = parse_procedure(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read {path}: {exc}") from None
        except ValidationFailed as exc:
            where = ".".join(exc.path) or "top level"
            raise ConfigurationError(f"{path} at {where}: {exc.message}") from None
        if procedure.code in procedures:
            raise ConfigurationError(f"{path}: procedure code {procedure.code!r} is used twice")
        for prefix in procedure.applies_to:
            if prefix in claimed:
                raise ConfigurationError(
                    f"{path}: {prefix} is already governed by procedure {claimed[prefix]!r}"
                )
            claimed[prefix] = procedure.code
        procedures[procedure.code] = procedure
    if not procedures:
        raise ConfigurationError(f"no procedure files in {directory}")
    return ProcedureBook(procedures)


@lru_cache(maxsize=1)
def book() -> ProcedureBook:
    return load_book()
