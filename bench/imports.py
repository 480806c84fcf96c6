"""`tuopin import households` against its floor: new households from a register file.

A register file of N new households is written from the generator's rows
(``api/generate``) through ``register_file.rows_of``, one row per member, as an operator
would export it. Two scratch databases are made from the migrations, each holding the
generated villages and nothing else of the register:

- the **floor**: bare asyncpg COPY of the same households and members, already parsed
  (stored values, ids given), into the same tables with the same indexes and
  constraints, in a transaction that is rolled back;
- the **API**: ``tuopin import households FILE``, the whole command as a process
  (reading, validation, planning, COPY, commit). The scratch register is empty, so
  this is a first load: indexes and constraints are built after the COPY;
- the API **into a register**: the same file after one other household, so every
  index and constraint is kept row by row, as in the floor.

Households per second of each and their ratios to the floor are returned. Scratch databases are
``tuopin_import_<hex>``, dropped after.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.domain import register_file  # noqa: E402
from api.domain.idnumber import check_character  # noqa: E402
from api.domain.register import (  # noqa: E402
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    LabourCapacity,
    PovertyCause,
    Relation,
    SchoolingStatus,
    StandardKind,
)
from api.generate import rows as generated  # noqa: E402
from api.generate.shape import units  # noqa: E402
from api.migrations import upgrade  # noqa: E402
from api.services import tables  # noqa: E402

SEED = 7
BIN = Path(sys.executable).parent

_HOUSEHOLD_ENUMS = {
    "standard_kind": StandardKind,
    "attribute": HouseholdAttribute,
    "main_cause": PovertyCause,
    "second_cause": PovertyCause,
    "third_cause": PovertyCause,
    "exit_attribute": ExitAttribute,
}
_MEMBER_ENUMS = {
    "relation": Relation,
    "education": Education,
    "schooling": SchoolingStatus,
    "health": Health,
    "labour_capacity": LabourCapacity,
}


class Register:
    """Generated households as the floor loads them and as the file holds them."""

    def __init__(self, households: int) -> None:
        batch = generated.Batch()
        next_id = 1
        for county_units, villages in units(households, SEED):
            next_id = generated.county_rows(batch, SEED, county_units, villages, next_id)
        self.jurisdictions = batch.tables["jurisdictions"]
        self.households = batch.tables["households"]
        self.members = batch.tables["household_members"]

    def file_rows(self) -> list[list[str]]:
        household_columns = generated.COLUMNS["households"]
        member_columns = generated.COLUMNS["household_members"]
        by_household: dict[int, list[register_file.MemberRecord]] = {}
        for row in self.members:
            values = dict(zip(member_columns, row, strict=True))
            fields: dict[str, Any] = {
                name: (_MEMBER_ENUMS[name](values[name]) if name in _MEMBER_ENUMS else v)
                for name in register_file.MemberRecord.__dataclass_fields__
                for v in (values[name],)
            }
            by_household.setdefault(row[0], []).append(register_file.MemberRecord(**fields))
        out: list[list[str]] = []
        for row in self.households:
            values = dict(zip(household_columns, row, strict=True))
            cells: dict[str, Any] = {
                name: (
                    _HOUSEHOLD_ENUMS[name](values[name])
                    if name in _HOUSEHOLD_ENUMS and values[name] is not None
                    else values[name]
                )
                for name in register_file.HouseholdRecord.__dataclass_fields__
            }
            record = register_file.HouseholdRecord(**cells)
            out += register_file.rows_of(record, by_household[row[0]])
        return out


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


class Scratch:
    """A migrated database of its own holding the generated units; dropped on exit."""

    def __init__(self, url: str, register: Register) -> None:
        self.name = f"tuopin_import_{uuid.uuid4().hex[:10]}"
        self.admin = url
        self.url = make_url(url).set(database=self.name).render_as_string(hide_password=False)
        self.register = register

    def __enter__(self) -> Scratch:
        asyncio.run(_admin(self.admin, f'CREATE DATABASE "{self.name}"'))
        upgrade(self.url)
        asyncio.run(self._units())
        return self

    async def _units(self) -> None:
        connection = await asyncpg.connect(_admin_dsn(self.url))
        try:
            await connection.copy_records_to_table(
                "jurisdictions",
                records=self.register.jurisdictions,
                columns=list(generated.COLUMNS["jurisdictions"]),
            )
            await connection.execute("ANALYZE")
        finally:
            await connection.close()

    def __exit__(self, *_: object) -> None:
        asyncio.run(_admin(self.admin, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


async def _floor(url: str, register: Register) -> float:
    """Seconds for bare COPY of the parsed rows, in a transaction rolled back."""
    connection = await asyncpg.connect(_admin_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "households",
            records=register.households,
            columns=list(generated.COLUMNS["households"]),
        )
        await connection.copy_records_to_table(
            "household_members",
            records=register.members,
            columns=list(generated.COLUMNS["household_members"]),
        )
        seconds = time.perf_counter() - started
        await transaction.rollback()
        return seconds
    finally:
        await connection.close()


def _import(url: str, path: Path, households: int) -> float:
    """Seconds for the whole ``tuopin import households`` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUOPIN_")}
    env["TUOPIN_DATABASE_URL"] = url
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "tuopin"), "import", "households", str(path), "--atomic"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the import failed:\n{result.stdout}\n{result.stderr}")
    if f" {households} households new, 0 changed, 0 unchanged, 0 rejected; written" not in (
        result.stdout
    ):
        raise SystemExit(f"the import did not create every household: {result.stdout}")
    return seconds


def _one_household(village: str) -> list[list[str]]:
    """A household not in the generated file (born 1900: the generator never is)."""
    body = f"{village[:6]}19000101999"
    record = register_file.HouseholdRecord(
        "SEED-1", village, "1组", "种子", None, None, StandardKind.NATIONAL,
        HouseholdAttribute.GENERAL, PovertyCause.OTHER, None, None, ExitAttribute.NOT_EXITED,
        2014, None, None,
    )  # fmt: skip
    member = register_file.MemberRecord(
        name="种子",
        id_number=body + check_character(body),
        relation=Relation.HEAD,
        ethnicity="汉族",
        education=Education.PRIMARY,
        schooling=SchoolingStatus.NOT_APPLICABLE,
        health=Health.HEALTHY,
        labour_capacity=LabourCapacity.ORDINARY,
        migrant_work_months=0,
        medical_insurance=True,
        serious_illness_insurance=True,
        serious_illness_treated=None,
        pension_insurance=True,
        joined_year=None,
        left_year=None,
    )
    return register_file.rows_of(record, [member])


async def _count(url: str) -> tuple[int, int]:
    connection = await asyncpg.connect(_admin_dsn(url))
    try:
        households = await connection.fetchval("SELECT count(*) FROM households")
        members = await connection.fetchval("SELECT count(*) FROM household_members")
        return int(households), int(members)
    finally:
        await connection.close()


def bench_import(url: str, households: int) -> dict[str, Any]:
    """Households/s of ``tuopin import households`` and of bare COPY, and their ratio.

    ``url`` is any database on the server (``postgresql+asyncpg://host:port/db``); the
    scratch databases are made beside it."""
    register = Register(households)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "register.csv"
        tables.write(path, register_file.HEADERS, register.file_rows())
        with Scratch(url, register) as scratch:
            floor_seconds = asyncio.run(_floor(scratch.url, register))
        with Scratch(url, register) as scratch:
            api_seconds = _import(scratch.url, path, households)
            loaded = asyncio.run(_count(scratch.url))
        expected = (len(register.households), len(register.members))
        if loaded != expected:
            raise SystemExit(f"the import loaded {loaded}, not the file's {expected}")
        # Into a register that is not empty: no first load, indexes kept row by row.
        seed = Path(directory) / "seed.csv"
        tables.write(seed, register_file.HEADERS, _one_household(register.households[0][2]))
        with Scratch(url, register) as scratch:
            _import(scratch.url, seed, 1)
            kept_seconds = _import(scratch.url, path, households)
            loaded = asyncio.run(_count(scratch.url))
        if loaded != (expected[0] + 1, expected[1] + 1):
            raise SystemExit(f"the import loaded {loaded}, not the file's {expected} and one")
    api_rate = households / api_seconds
    floor_rate = households / floor_seconds
    kept_rate = households / kept_seconds
    return {
        "households": households,
        "members": len(register.members),
        "api_households_per_s": round(api_rate),
        "floor_households_per_s": round(floor_rate),
        "ratio": round(api_rate / floor_rate, 3),
        "into_register_households_per_s": round(kept_rate),
        "into_register_ratio": round(kept_rate / floor_rate, 3),
    }


if __name__ == "__main__":
    import json

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    target = os.environ.get("BENCH_PG", "127.0.0.1:5432")
    print(json.dumps(bench_import(f"postgresql+asyncpg://{target}/test", size), indent=2))
