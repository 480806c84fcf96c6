"""The register file read a column at a time: ``register_file.parse``, vectorised.

``parse_frame`` takes the file as one table (a ``row`` number and a text column per
header) and returns the same households, errors and rejections as
``register_file.parse`` on the same rows, without touching a row in Python unless it
is wrong. Each cell is checked by its column's ``Rule`` as a column expression; a cell
that fails is then read again by the column's own parser, so every reason is the
parser's own words. Households whose rows disagree, or that share a person with
another row, are rare and order-dependent: their rows go through
``register_file.parse`` itself. Everything else (most files: all of it) stays columnar
up to the COPY.

Households and members come out as two tables (``HOUSEHOLD_SCHEMA``,
``MEMBER_SCHEMA``): coded fields as their stored codes, years as integers, flags as
booleans. ``households_in_file`` turns chosen households back into records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl

from api.domain import register_file
from api.domain.idnumber import _CHECK, _WEIGHTS
from api.domain.register import EXITED, ZH, ExitAttribute, Relation
from api.domain.register_file import (
    ABSENT_OK,
    COLUMNS,
    HEADERS,
    CellError,
    Column,
    HouseholdInFile,
    HouseholdRecord,
    MemberRecord,
    Parsed,
    RowError,
    Rule,
)
from api.domain.years import MAX_YEAR, MIN_YEAR

ROW = "row"
KEY = "registry_no"
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""What ``str.strip()`` removes (Python's whitespace, which is not quite Unicode's)."""

_HOUSEHOLD = tuple(c for c in COLUMNS if c.household)
_MEMBER = tuple(c for c in COLUMNS if not c.household)
_DTYPES = {"year": pl.Int64, "months": pl.Int64, "flag": pl.Boolean}


def _dtype(column: Column) -> Any:
    return _DTYPES.get(column.rule.kind, pl.String)


HOUSEHOLD_SCHEMA: dict[str, Any] = {ROW: pl.Int64} | {c.attribute: _dtype(c) for c in _HOUSEHOLD}
MEMBER_SCHEMA: dict[str, Any] = {KEY: pl.String, ROW: pl.Int64} | {
    c.attribute: _dtype(c) for c in _MEMBER
}
RAW_SCHEMA: dict[str, Any] = {ROW: pl.Int64} | dict.fromkeys(HEADERS, pl.String)


@dataclass(slots=True)
class RegisterFrame:
    """``Parsed`` as tables: the good households (first row, fields) and their members
    (household, row, fields), both in file order."""

    households: pl.DataFrame
    members: pl.DataFrame
    errors: list[RowError]
    rejected: set[str]
    rows: int


# -- cells -----------------------------------------------------------------------------


def _digits(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Whether a cell is ASCII digits (``str.isascii() and str.isdigit()``), and its
    value when it is small enough to matter (larger values are out of every range)."""
    digits = raw.str.contains("^[0-9]+$")
    trimmed = raw.str.strip_chars_start("0")
    value = (
        pl.when(trimmed == "")
        .then(pl.lit(0, pl.Int64))
        .when(trimmed.str.len_bytes() <= 9)
        .then(trimmed.str.to_integer(strict=False))
        .otherwise(pl.lit(None, pl.Int64))
    )
    return digits, pl.when(digits).then(value).otherwise(pl.lit(None, pl.Int64))


_ID_VALUE, _ID_BODY = "#id_value", "#id_body"


def _id_stage(raw: pl.Expr) -> dict[str, pl.Expr]:
    """The upper-cased number and its 17-digit body as an integer, computed once."""
    value = raw.str.to_uppercase()
    shape = value.str.contains("^[0-9]{17}[0-9X]$")
    body = pl.when(shape).then(value.str.slice(0, 17).str.to_integer(strict=False))
    return {_ID_VALUE: value, _ID_BODY: body}


def _id_number() -> tuple[pl.Expr, pl.Expr]:
    """GB 11643: 17 digits and a check character, a real date of birth inside."""
    value, body = pl.col(_ID_VALUE), pl.col(_ID_BODY)
    total = pl.sum_horizontal(
        [((body // 10 ** (16 - i)) % 10) * weight for i, weight in enumerate(_WEIGHTS)]
    )
    check = (total % 11).replace_strict(
        dict(enumerate(_CHECK)), default=None, return_dtype=pl.String
    )
    born = (body // 1000) % 10**8
    year, month, day = born // 10_000, (born // 100) % 100, born % 100
    leap = ((year % 4) == 0) & (((year % 100) != 0) | ((year % 400) == 0))
    days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    valid = (
        body.is_not_null()
        & (year >= 1)
        & month.is_between(1, 12)
        & day.is_between(1, days)
        & (check == value.str.slice(17, 1))
    )
    return valid, value


def _rule(rule: Rule, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(valid, value) of a non-empty stripped cell under ``rule``."""
    if rule.kind == "text":
        return raw.str.len_chars() <= rule.limit, raw
    if rule.kind == "pattern":
        assert rule.pattern is not None
        return raw.str.contains(f"^(?:{rule.pattern.pattern})$"), raw
    if rule.kind == "village":
        return raw.str.contains("^[0-9]{12}$"), raw
    if rule.kind == "phone":  # as register_file.phone_of
        compact = raw.str.replace_all(" ", "", literal=True).str.replace_all("-", "", literal=True)
        mobile = compact.str.replace(r"^(?:\+86|0086)(1[0-9]{10})$", "${1}")
        return raw.str.contains(f"^(?:{register_file._PHONE.pattern})$"), mobile
    if rule.kind == "coded":
        assert rule.enum is not None
        known = coded_values(rule.enum)
        return raw.is_in(list(known)), raw.replace_strict(
            known, default=None, return_dtype=pl.String
        )
    if rule.kind == "flag":
        lowered = raw.str.to_lowercase()
        yes, no = register_file._YES, register_file._NO
        return lowered.is_in([*yes, *no]), lowered.is_in(list(yes))
    if rule.kind in ("year", "months"):
        digits, value = _digits(raw)
        low, high = (MIN_YEAR, MAX_YEAR) if rule.kind == "year" else (0, 12)
        return digits & value.is_between(low, high), value
    if rule.kind == "id_number":
        return _id_number()
    raise ValueError(f"no column check for {rule.kind}")


def coded_values(enum: type[StrEnum]) -> dict[str, str]:
    """Every accepted spelling of a coded cell (label or code) -> the stored code."""
    known = {label: str(member) for member, label in ZH[enum].items()}
    return known | {member.value: member.value for member in enum}


def check_cells(stripped: pl.DataFrame) -> pl.DataFrame:
    """Each column's values (named by attribute) and, as ``!attribute``, whether the
    cell is bad: True exactly where ``column.parse`` fails or a required cell is empty.
    ``stripped`` has a text column per header, cells stripped, none null."""
    staged = stripped.lazy()
    for column in COLUMNS:
        if column.rule.kind == "id_number":
            staged = staged.with_columns(**_id_stage(pl.col(column.header)))
    checks = {c.attribute: cell_checks(c) for c in COLUMNS}
    return staged.select(
        *[value.alias(name) for name, (_, value) in checks.items()],
        *[bad.alias(f"!{name}") for name, (bad, _) in checks.items()],
    ).collect()


def cell_checks(column: Column) -> tuple[pl.Expr, pl.Expr]:
    """(bad, value) of ``column``'s cells, read from its stripped text column (and the
    columns ``check_cells`` stages first). ``bad`` is True exactly where
    ``column.parse`` fails or a required cell is empty."""
    raw = pl.col(column.header)
    empty = raw == ""
    valid, value = _rule(column.rule, raw)
    valid = valid.fill_null(False)
    if column.required:
        return empty | ~valid, value
    return ~empty & ~valid, pl.when(empty).then(None).otherwise(value)


def _reason(column: Column, raw: str) -> str:
    if raw == "" and column.required:
        return "required"
    try:
        column.parse(raw)
    except CellError as exc:
        return str(exc)
    raise AssertionError(f"{column.header}: {raw!r} was flagged but reads")


# -- rows ------------------------------------------------------------------------------


def raw_frame(rows: Iterable[tuple[int, Mapping[str, str | None]]]) -> pl.DataFrame:
    """Numbered rows (as ``register_file.parse`` takes them) as one table."""
    numbers: list[int] = []
    cells: dict[str, list[str | None]] = {h: [] for h in HEADERS}
    for number, row in rows:
        numbers.append(number)
        for header, values in cells.items():
            values.append(row.get(header))
    return pl.DataFrame({ROW: numbers} | cells, schema=RAW_SCHEMA)


def with_absent_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with a blank text column for each header a file may leave out and did."""
    missing = [h for h in ABSENT_OK if h not in frame.columns]
    return frame.with_columns(pl.lit("", pl.String).alias(h) for h in missing)


def parse_frame(raw: pl.DataFrame, *, stripped: bool = False) -> RegisterFrame:
    """``register_file.parse`` of the rows in ``raw`` (``RAW_SCHEMA``; blank rows left
    out), with the same errors in the same order. ``stripped``: the cells are already
    as ``str.strip()`` leaves them, and none is null."""
    if not stripped:
        raw = raw.select(
            pl.col(ROW).cast(pl.Int64),
            *[pl.col(h).fill_null("").str.strip_chars(WHITESPACE).alias(h) for h in HEADERS],
        )
    cells = raw.select(ROW, *HEADERS)
    flags = [f"!{c.attribute}" for c in COLUMNS]
    typed = pl.concat([cells.select(ROW), check_cells(cells)], how="horizontal").with_columns(
        pl.any_horizontal(flags).alias("!")
    )
    errors, rejected = _cell_errors(cells, typed)
    clean = _runs(typed.filter(~pl.col("!")).drop([*flags, "!"]))
    tangled = _tangled(clean)
    simple = clean.filter(~pl.col(KEY).is_in(list(tangled)))
    households = simple.filter(pl.col(_START)).select(list(HOUSEHOLD_SCHEMA))
    members = simple.select(list(MEMBER_SCHEMA))
    problems, problem_keys = household_problems(households, members)
    errors += problems
    rejected |= problem_keys
    if tangled:
        rows = cells.filter(pl.col(ROW).is_in(clean.filter(pl.col(KEY).is_in(list(tangled)))[ROW]))
        sub = register_file.parse((r[ROW], r) for r in rows.iter_rows(named=True))
        errors += sub.errors
        rejected |= sub.rejected
        extra_households, extra_members = frames_of(sub.households.values())
        households = pl.concat([households, extra_households]).sort(ROW)
        members = pl.concat([members, extra_members]).sort(ROW)
    errors.sort(key=lambda e: (e.row, HEADERS.index(e.column)))
    good = ~pl.col(KEY).is_in(list(rejected))
    return RegisterFrame(
        households.filter(good), members.filter(good), errors, rejected, cells.height
    )


def _cell_errors(stripped: pl.DataFrame, typed: pl.DataFrame) -> tuple[list[RowError], set[str]]:
    """Row errors of the cells that fail, by their parsers; households they reject."""
    bad = typed.filter(pl.col("!"))
    errors: list[RowError] = []
    rejected: set[str] = set()
    if not bad.height:
        return errors, rejected
    cells = stripped.filter(pl.col(ROW).is_in(bad[ROW]))
    for flagged, row in zip(bad.iter_rows(named=True), cells.iter_rows(named=True), strict=True):
        for column in COLUMNS:
            if flagged[f"!{column.attribute}"]:
                errors.append(
                    RowError(row[ROW], column.header, _reason(column, row[column.header]))
                )
        if not flagged[f"!{KEY}"]:
            rejected.add(flagged[KEY])
    return errors, rejected


_START = "#start"


def _runs(clean: pl.DataFrame) -> pl.DataFrame:
    """``clean`` with ``#start``: whether a row begins a run of its household's rows."""
    return clean.with_columns((pl.col(KEY) != pl.col(KEY).shift(1)).fill_null(True).alias(_START))


def _tangled(runs: pl.DataFrame) -> set[str]:
    """Households whose good rows disagree, share a person with another good row, or
    are not in one run: what happens to them depends on the order of rows, so
    ``parse`` reads them. The rest are a run of rows that agree, each a new person."""
    fields = [c.attribute for c in _HOUSEHOLD]
    differs = ~pl.col(_START) & pl.any_horizontal(
        [pl.col(f).ne_missing(pl.col(f).shift(1)) for f in fields]
    )
    varied = runs.filter(differs)[KEY]
    starts = runs.filter(pl.col(_START))[KEY]
    scattered = starts.filter(starts.is_duplicated())
    shared = runs.filter(pl.col("id_number").is_duplicated())[KEY]
    return set(varied.to_list()) | set(scattered.to_list()) | set(shared.to_list())


def household_problems(
    households: pl.DataFrame, members: pl.DataFrame
) -> tuple[list[RowError], set[str]]:
    """``register_file._household_problems`` of every household, at its first row."""
    head = Relation.HEAD.value
    heads = (
        members.filter((pl.col("relation") == head) & pl.col("left_year").is_null())
        .group_by(KEY)
        .agg(pl.len().alias("heads"), pl.col("name").first().alias("head"))
    )
    leavers = members.filter(
        pl.col("joined_year").is_not_null()
        & pl.col("left_year").is_not_null()
        & (pl.col("left_year") < pl.col("joined_year"))
    ).select(KEY, "name")
    exited = pl.col("exit_attribute").is_in([e.value for e in EXITED])
    returned = pl.col("exit_attribute") == ExitAttribute.RETURNED_TO_POVERTY.value
    count = pl.col("heads").fill_null(0)
    flagged = (
        households.join(heads, on=KEY, how="left")
        .with_columns(
            (count != 1).alias("p_heads"),
            ((count == 1) & (pl.col("head") != pl.col("head_name"))).alias("p_head"),
            ((exited != pl.col("exited_year").is_not_null()) & ~returned).alias("p_exit"),
            (
                pl.col("exited_year").is_not_null()
                & (pl.col("exited_year") < pl.col("registered_year"))
            ).alias("p_before"),
            (returned != pl.col("returned_year").is_not_null()).alias("p_return"),
            pl.col(KEY).is_in(leavers[KEY]).alias("p_leave"),
        )
        .filter(pl.any_horizontal("p_heads", "p_head", "p_exit", "p_before", "p_return", "p_leave"))
    )
    names: dict[str, list[str]] = {}
    for key, name in leavers.iter_rows():
        names.setdefault(key, []).append(name)
    errors: list[RowError] = []
    for h in flagged.iter_rows(named=True):
        first, problems = h[ROW], []
        if h["p_heads"]:
            problems.append(
                ("与户主关系", f"a household has one 户主; this one has {h['heads'] or 0}")
            )
        elif h["p_head"]:
            problems.append(("户主姓名", f"the 户主 member is {h['head']}"))
        if h["p_exit"]:
            problems.append(("脱贫年度", "given exactly when the 脱贫属性 is an exit"))
        if h["p_before"]:
            problems.append(("脱贫年度", "before the 识别年度"))
        if h["p_return"]:
            problems.append(("返贫年度", "given exactly when the 脱贫属性 is 返贫"))
        problems += [
            ("退出年度", f"{name} leaves before joining") for name in names.get(h[KEY], [])
        ]
        errors += [RowError(first, column, reason) for column, reason in problems]
    return errors, set(flagged[KEY].to_list())


# -- records ---------------------------------------------------------------------------

_HOUSEHOLD_FIELDS = tuple(HouseholdRecord.__dataclass_fields__)
_MEMBER_FIELDS = tuple(MemberRecord.__dataclass_fields__)
_ENUMS = {c.attribute: c.rule.enum for c in COLUMNS if c.rule.enum is not None}


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def frames_of(households: Iterable[HouseholdInFile]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Households read by ``register_file.parse`` as the two tables."""
    household_rows: list[tuple[Any, ...]] = []
    member_rows: list[tuple[Any, ...]] = []
    for h in households:
        record = h.record
        household_rows.append(
            (h.rows[0], *(_stored(getattr(record, f)) for f in _HOUSEHOLD_FIELDS))
        )
        for row, member in zip(h.rows, h.members, strict=True):
            member_rows.append(
                (record.registry_no, row, *(_stored(getattr(member, f)) for f in _MEMBER_FIELDS))
            )
    return (
        pl.DataFrame(household_rows, schema=HOUSEHOLD_SCHEMA, orient="row"),
        pl.DataFrame(member_rows, schema=MEMBER_SCHEMA, orient="row"),
    )


def of_parsed(parsed: Parsed) -> RegisterFrame:
    households, members = frames_of(parsed.households.values())
    return RegisterFrame(
        households, members, list(parsed.errors), set(parsed.rejected), parsed.rows
    )


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (_ENUMS[name](value) if name in _ENUMS and value is not None else value)
        for name, value in values.items()
    }


def households_in_file(frame: RegisterFrame, keys: Sequence[str]) -> dict[str, HouseholdInFile]:
    """The chosen households as ``register_file.parse`` gives them."""
    chosen = pl.col(KEY).is_in(list(keys))
    found: dict[str, HouseholdInFile] = {}
    for h in frame.households.filter(chosen).iter_rows(named=True):
        record = HouseholdRecord(**_typed({f: h[f] for f in _HOUSEHOLD_FIELDS}))
        found[record.registry_no] = HouseholdInFile(record)
    for m in frame.members.filter(chosen).iter_rows(named=True):
        household = found[m[KEY]]
        household.members.append(MemberRecord(**_typed({f: m[f] for f in _MEMBER_FIELDS})))
        household.rows.append(m[ROW])
    return found
