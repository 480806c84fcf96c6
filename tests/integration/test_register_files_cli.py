"""`tuopin import households` and `tuopin export` as an operator runs them, on each backend."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.domain.register_file import HEADERS
from api.services import tables
from tests.conftest import Database, fresh_database
from tests.register_rows import register_row

TUOPIN = str(Path(sys.executable).with_name("tuopin"))
VILLAGE = "230223101200"  # a demo village in 依安县


@pytest.fixture(scope="module")
def loaded(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(database.backend, tmp_path_factory.mktemp("files"), "files") as url:
        result = _tuopin("demo", url=url, cwd=tmp_path_factory.mktemp("demo"))
        assert result.returncode == 0, result.stderr
        yield url


def _tuopin(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
    env["TUOPIN_DATABASE_URL"] = url
    return subprocess.run(
        [TUOPIN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _new_household(key: str, n: int) -> list[str]:
    return register_row(key, VILLAGE, n, 主要致贫原因="因残", 民族="满族", 健康状况="残疾")


def test_import_reports_bad_rows_loads_good_ones_or_none_and_a_rerun_changes_nothing(
    loaded: str, tmp_path: Path
) -> None:
    good = _new_household("CLI-1", 1)
    bad = _new_household("CLI-2", 2)
    bad[HEADERS.index("务工时间（月）")] = "13"
    mixed = tmp_path / "mixed.csv"
    tables.write(mixed, HEADERS, [good, bad])

    atomic = _tuopin("import", "households", str(mixed), "--atomic", url=loaded, cwd=tmp_path)
    assert atomic.returncode == 1
    assert "1 households new" in atomic.stdout
    assert "nothing written" in atomic.stdout
    with (tmp_path / "mixed.errors.csv").open(encoding="utf-8-sig") as report:
        assert list(csv.reader(report)) == [
            ["行号", "列", "原因"],
            ["3", "务工时间（月）", "a whole number of months from 0 to 12"],
        ]

    loose = _tuopin("import", "households", str(mixed), url=loaded, cwd=tmp_path)
    assert loose.returncode == 1
    assert "1 households new, 0 changed, 0 unchanged, 1 rejected; written" in loose.stdout

    again = _tuopin("import", "households", str(mixed), url=loaded, cwd=tmp_path)
    assert "0 households new, 0 changed, 1 unchanged, 1 rejected; nothing written" in (again.stdout)


def test_export_then_import_changes_nothing(loaded: str, tmp_path: Path) -> None:
    for name in ("register.xlsx",):  # CSV round trips are in test_household_import
        out = tmp_path / name
        exported = _tuopin(
            "export", "register", str(out), "--under", "230231", url=loaded, cwd=tmp_path
        )
        assert exported.returncode == 0, exported.stderr
        imported = _tuopin("import", "households", str(out), url=loaded, cwd=tmp_path)
        assert imported.returncode == 0, imported.stderr
        assert " 0 households new, 0 changed, " in imported.stdout
        assert "0 rejected; nothing written" in imported.stdout
    listed = _tuopin(
        "export",
        "deregistered",
        str(tmp_path / "d.xlsx"),
        "--year",
        "2015",
        url=loaded,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    header, rows = tables.read(tmp_path / "d.xlsx")
    assert header == list(HEADERS)
    assert {cells["脱贫年度"] for _, cells in rows} == {"2015"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "households", "register.txt"), "use a .csv (UTF-8) or .xlsx file"),
        (("import", "households", "missing.csv"), "missing.csv: no such file"),
        (("export", "deregistered", "d.csv"), "--year is required for deregistered"),
        (("export", "everything", "d.csv"), "export one of: deregistered, exit-marks, register"),
    ],
)
def test_bad_file_commands_are_one_sentence(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "register.txt").write_text("户编号\n")
    result = _tuopin(*args, url=f"sqlite+aiosqlite:///{tmp_path}/none.sqlite3", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
