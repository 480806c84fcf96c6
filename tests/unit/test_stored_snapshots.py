"""Stored procedure snapshots are read as they were written.

A database holds the procedure versions its applications started under; a rule added to
procedure files later (spot_check_returns_to, with spot checks) must not make an older
snapshot unreadable, or every read of those applications would fail.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from api.domain.procedures import parse_procedure
from api.domain.register import SubjectKind
from api.errors import ValidationFailed
from api.procedure_files import PROCEDURES_DIR


def _before_spot_checks() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROCEDURES_DIR / "lanshan.yaml").read_text("utf-8"))
    for subject in data["subjects"].values():
        subject.pop("spot_check_returns_to", None)
    data["version"] = 1
    return data


def test_a_procedure_file_must_name_where_a_failed_spot_check_returns() -> None:
    with pytest.raises(ValidationFailed, match="spot_check_returns_to"):
        parse_procedure(_before_spot_checks())


def test_an_older_stored_snapshot_still_parses() -> None:
    procedure = parse_procedure(_before_spot_checks(), stored=True)
    household = procedure.for_kind(SubjectKind.HOUSEHOLD)
    assert household.spot_check_returns_to is None
    assert any(stage.needs_spot_check for stage in household.stages)


def test_a_stored_snapshot_is_still_validated_otherwise() -> None:
    data = _before_spot_checks()
    data["subjects"]["household"]["stages"] = []
    with pytest.raises(ValidationFailed, match="stages"):
        parse_procedure(data, stored=True)
