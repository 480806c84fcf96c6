"""Procedure files are validated when loaded; a bad one names its path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.domain.procedures import parse_procedure
from api.errors import ConfigurationError, NotFound, ValidationFailed
from api.procedure_files import PROCEDURES_DIR, book, load_book


def _heilongjiang() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (PROCEDURES_DIR / "heilongjiang.yaml").read_text(encoding="utf-8")
    )
    return data


def test_units_are_bound_to_their_province_or_district_procedure() -> None:
    assert book().for_unit("230231101200").code == "heilongjiang"
    assert book().for_unit("371302101200").code == "lanshan"
    with pytest.raises(NotFound):
        book().for_unit("3713")  # Linyi outside Lanshan has no procedure here


def household_stages(data: dict[str, Any]) -> list[dict[str, Any]]:
    stages: list[dict[str, Any]] = data["subjects"]["household"]["stages"]
    return stages


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: household_stages(d)[1].update(roles=["emperor"]), "'emperor' is not one of"),
        (lambda d: household_stages(d)[1].update(roles=[]), "names the roles"),
        (lambda d: household_stages(d)[1].update(returns_to=["announcement"]), "not an earlier"),
        (lambda d: household_stages(d)[2].update(notice_days=0), "notice_days"),
        (lambda d: household_stages(d)[2].pop("objections_return_to"), "objection returns to"),
        (lambda d: household_stages(d)[3].update(code="verification"), "stage codes repeat"),
        (lambda d: household_stages(d)[0].update(on_list=False), "proposes a list"),
        (lambda d: household_stages(d)[1].update(decisions=["reject"]), "every stage can approve"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.update(applies_to=["2x"]), "not a division code"),
    ],
)
def test_a_bad_procedure_is_refused_with_a_reason(mutate: Any, message: str) -> None:
    data = copy.deepcopy(_heilongjiang())
    mutate(data)
    with pytest.raises(ValidationFailed, match=message):
        parse_procedure(data)


def test_the_digest_changes_with_the_content() -> None:
    data = _heilongjiang()
    changed = copy.deepcopy(data)
    household_stages(changed)[2]["notice_days"] = 10
    assert parse_procedure(data).digest == parse_procedure(copy.deepcopy(data)).digest
    assert parse_procedure(data).digest != parse_procedure(changed).digest


def test_a_broken_directory_is_one_configuration_sentence(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_heilongjiang()), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(_heilongjiang()), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="used twice"):
        load_book(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigurationError, match="no procedure files"):
        load_book(empty)
