"""The household register as a flat file: one row per member, Chinese column headers.

The household's columns repeat on each of its members' rows and must agree. Values of
coded fields are the register's Chinese labels (the English codes are accepted too);
booleans are 是/否. ``parse`` turns rows into households or row-level errors (row,
column, reason); ``rows_of`` writes a household back in the same form, so a file
exported and imported again reproduces the register exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from api.domain.idnumber import parse_id_number
from api.domain.jurisdictions import Level, level_of
from api.domain.register import (
    EXITED,
    ZH,
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
from api.domain.years import MAX_YEAR, MIN_YEAR
from api.errors import ValidationFailed

_REGISTRY_NO = re.compile(r"[0-9A-Za-z-]{1,32}")
_PHONE = re.compile(r"[0-9+\- ]{5,20}")
_ACCOUNT = re.compile(r"[0-9]{8,32}")
_YES, _NO = ("是", "true", "1", "y", "yes"), ("否", "false", "0", "n", "no")


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    registry_no: str
    village_code: str
    villager_group: str
    head_name: str
    phone: str | None
    bank_account: str | None
    standard_kind: StandardKind
    attribute: HouseholdAttribute
    main_cause: PovertyCause
    second_cause: PovertyCause | None
    third_cause: PovertyCause | None
    exit_attribute: ExitAttribute
    registered_year: int
    exited_year: int | None
    returned_year: int | None


@dataclass(frozen=True, slots=True)
class MemberRecord:
    name: str
    id_number: str
    relation: Relation
    ethnicity: str
    education: Education
    schooling: SchoolingStatus
    health: Health
    labour_capacity: LabourCapacity
    migrant_work_months: int
    medical_insurance: bool
    serious_illness_insurance: bool
    serious_illness_treated: bool | None
    pension_insurance: bool
    joined_year: int | None
    left_year: int | None


@dataclass(slots=True)
class HouseholdInFile:
    record: HouseholdRecord
    members: list[MemberRecord] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


# -- cells -----------------------------------------------------------------------------


def _text(limit: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > limit:
            raise CellError(f"at most {limit} characters")
        return raw

    return parse


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(raw: str) -> Any:
        return None if raw == "" else parse(raw)

    return read


def _pattern(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not pattern.fullmatch(raw):
            raise CellError(f"not {what}")
        return raw

    return parse


def phone_of(raw: str) -> str:
    """A phone as stored: spaces and hyphens taken out, a mobile's +86 or 0086 too, so a
    mobile is its 11 digits whatever way it was typed (search matches it whole)."""
    compact = raw.replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        rest = compact.removeprefix(prefix)
        if rest != compact and len(rest) == 11 and rest.startswith("1"):
            return rest
    return compact


def _phone(raw: str) -> str:
    if not _PHONE.fullmatch(raw):
        raise CellError("not a phone number")
    return phone_of(raw)


def _coded(enum: type[StrEnum]) -> Callable[[str], StrEnum]:
    known = {label: enum(member) for member, label in ZH[enum].items()}
    known |= {member.value: member for member in enum}
    labels = "、".join(ZH[enum].values())

    def parse(raw: str) -> StrEnum:
        member = known.get(raw)
        if member is None:
            raise CellError(f"{raw!r} is not one of: {labels}")
        return member

    return parse


def _year(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise CellError(f"not a year between {MIN_YEAR} and {MAX_YEAR}")
    return int(raw)


def _months(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) > 12:
        raise CellError("a whole number of months from 0 to 12")
    return int(raw)


def _flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise CellError("是 or 否")


def _village(raw: str) -> str:
    try:
        level = level_of(raw)
    except ValidationFailed:
        level = None
    if level is not Level.VILLAGE:
        raise CellError("not a 12-digit village division code")
    return raw


def _id_number(raw: str) -> str:
    try:
        return parse_id_number(raw).value
    except ValidationFailed as exc:
        raise CellError(exc.message) from None


def _label(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, StrEnum):
        return ZH[type(value)][value]
    return str(value)


@dataclass(frozen=True, slots=True)
class Rule:
    """What a cell must be, said once: ``parse`` reads one cell by it, and
    ``api.domain.register_frame`` checks whole columns by the same rule."""

    kind: str  # text, pattern, coded, year, months, flag, village, id_number, phone
    limit: int = 0
    pattern: re.Pattern[str] | None = None
    what: str = ""
    enum: type[StrEnum] | None = None


def _parser(rule: Rule) -> Callable[[str], Any]:
    if rule.kind == "text":
        return _text(rule.limit)
    if rule.kind == "pattern":
        assert rule.pattern is not None
        return _pattern(rule.pattern, rule.what)
    if rule.kind == "coded":
        assert rule.enum is not None
        return _coded(rule.enum)
    simple: dict[str, Callable[[str], Any]] = {
        "year": _year,
        "months": _months,
        "flag": _flag,
        "village": _village,
        "id_number": _id_number,
        "phone": _phone,
    }
    return simple[rule.kind]


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    attribute: str
    parse: Callable[[str], Any]
    household: bool
    required: bool
    rule: Rule
    may_be_absent: bool = False
    """A column added after files were in use: a file without it reads as all blank."""


def _household(header: str, attribute: str, rule: Rule, *, optional: bool = False) -> Column:
    parse = _optional(_parser(rule)) if optional else _parser(rule)
    return Column(header, attribute, parse, household=True, required=not optional, rule=rule)


def _member(
    header: str, attribute: str, rule: Rule, *, optional: bool = False, added: bool = False
) -> Column:
    parse = _optional(_parser(rule)) if optional or added else _parser(rule)
    return Column(
        header,
        attribute,
        parse,
        household=False,
        required=not (optional or added),
        rule=rule,
        may_be_absent=added,
    )


def _coded_rule(enum: type[StrEnum]) -> Rule:
    return Rule("coded", enum=enum)


_YEAR, _MONTHS, _FLAG = Rule("year"), Rule("months"), Rule("flag")

COLUMNS: tuple[Column, ...] = (
    _household(
        "户编号",
        "registry_no",
        Rule("pattern", pattern=_REGISTRY_NO, what="1-32 letters, digits or -"),
    ),
    _household("行政区划代码", "village_code", Rule("village")),
    _household("村民小组", "villager_group", Rule("text", limit=50)),
    _household("户主姓名", "head_name", Rule("text", limit=50)),
    _household(
        "联系电话",
        "phone",
        Rule("phone"),
        optional=True,
    ),
    _household(
        "开户银行账号",
        "bank_account",
        Rule("pattern", pattern=_ACCOUNT, what="8-32 digits"),
        optional=True,
    ),
    _household("识别标准", "standard_kind", _coded_rule(StandardKind)),
    _household("贫困户属性", "attribute", _coded_rule(HouseholdAttribute)),
    _household("主要致贫原因", "main_cause", _coded_rule(PovertyCause)),
    _household("其他致贫原因一", "second_cause", _coded_rule(PovertyCause), optional=True),
    _household("其他致贫原因二", "third_cause", _coded_rule(PovertyCause), optional=True),
    _household("脱贫属性", "exit_attribute", _coded_rule(ExitAttribute)),
    _household("识别年度", "registered_year", _YEAR),
    _household("脱贫年度", "exited_year", _YEAR, optional=True),
    _household("返贫年度", "returned_year", _YEAR, optional=True),
    _member("姓名", "name", Rule("text", limit=50)),
    _member("证件号码", "id_number", Rule("id_number")),
    _member("与户主关系", "relation", _coded_rule(Relation)),
    _member("民族", "ethnicity", Rule("text", limit=20)),
    _member("文化程度", "education", _coded_rule(Education)),
    _member("在校生状况", "schooling", _coded_rule(SchoolingStatus)),
    _member("健康状况", "health", _coded_rule(Health)),
    _member("劳动技能", "labour_capacity", _coded_rule(LabourCapacity)),
    _member("务工时间（月）", "migrant_work_months", _MONTHS),
    _member("是否参加城乡居民基本医疗保险", "medical_insurance", _FLAG),
    _member("是否参加大病保险", "serious_illness_insurance", _FLAG),
    # 是/否 for a member with a serious illness (a 十不脱 block reads it); blank: not
    # recorded. Older files without the column read as blank.
    _member("大病是否得到救治", "serious_illness_treated", _FLAG, added=True),
    _member("是否参加城乡居民基本养老保险", "pension_insurance", _FLAG),
    _member("加入年度", "joined_year", _YEAR, optional=True),
    _member("退出年度", "left_year", _YEAR, optional=True),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
_BY_ATTRIBUTE = {c.attribute: c for c in COLUMNS}


def header_of(attribute: str) -> str:
    """The column header of a record attribute (``exit_attribute`` -> ``脱贫属性``)."""
    return _BY_ATTRIBUTE[attribute].header


ABSENT_OK: tuple[str, ...] = tuple(c.header for c in COLUMNS if c.may_be_absent)


def check_headers(headers: Sequence[str]) -> list[RowError]:
    """Every column present once (but those added later, which may be left out);
    nothing unknown (a typo would silently drop data)."""
    cleaned = [h.strip() for h in headers]
    errors = [RowError(1, h, "unknown column") for h in cleaned if h and h not in HEADERS] + [
        RowError(1, h, "column appears twice") for h in set(cleaned) if cleaned.count(h) > 1
    ]
    errors += [
        RowError(1, h, "column is missing")
        for h in HEADERS
        if h not in cleaned and h not in ABSENT_OK
    ]
    return errors


_HOUSEHOLD_COLUMNS = tuple(c for c in COLUMNS if c.household)
_MEMBER_COLUMNS = tuple(c for c in COLUMNS if not c.household)


def _cells(
    row: dict[str, str], columns: tuple[Column, ...]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Parsed values by attribute, and (column, reason) for each cell that fails."""
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for column in columns:
        raw = (row.get(column.header) or "").strip()
        if raw == "" and column.required:
            errors.append((column.header, "required"))
            continue
        try:
            values[column.attribute] = column.parse(raw)
        except CellError as exc:
            errors.append((column.header, str(exc)))
    return values, errors


class _HouseholdCells:
    """Parses a household's cells once: its members' rows repeat them."""

    def __init__(self) -> None:
        self._raw: tuple[str, ...] | None = None
        self._parsed: tuple[dict[str, Any], list[tuple[str, str]]] = ({}, [])

    def __call__(self, row: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        raw = tuple(row.get(c.header) or "" for c in _HOUSEHOLD_COLUMNS)
        if raw != self._raw:
            self._raw, self._parsed = raw, _cells(row, _HOUSEHOLD_COLUMNS)
        return self._parsed


def _household_problems(household: HouseholdInFile) -> list[tuple[str, str]]:
    """(column, reason) for what is wrong with a household as a whole."""
    record, problems = household.record, []
    heads = [m for m in household.members if m.relation is Relation.HEAD and m.left_year is None]
    if len(heads) != 1:
        problems.append(("与户主关系", f"a household has one 户主; this one has {len(heads)}"))
    elif heads[0].name != record.head_name:
        problems.append(("户主姓名", f"the 户主 member is {heads[0].name}"))
    exited = record.exit_attribute in EXITED
    if exited != (record.exited_year is not None) and record.exit_attribute is not (
        ExitAttribute.RETURNED_TO_POVERTY
    ):
        problems.append(("脱贫年度", "given exactly when the 脱贫属性 is an exit"))
    if record.exited_year is not None and record.exited_year < record.registered_year:
        problems.append(("脱贫年度", "before the 识别年度"))
    returned = record.exit_attribute is ExitAttribute.RETURNED_TO_POVERTY
    if returned != (record.returned_year is not None):
        problems.append(("返贫年度", "given exactly when the 脱贫属性 is 返贫"))
    for member in household.members:
        if (
            member.joined_year is not None
            and member.left_year is not None
            and member.left_year < member.joined_year
        ):
            problems.append(("退出年度", f"{member.name} leaves before joining"))
    return problems


@dataclass(slots=True)
class Parsed:
    households: dict[str, HouseholdInFile]
    errors: list[RowError]
    rejected: set[str]
    rows: int


def parse(rows: Iterable[tuple[int, dict[str, str]]]) -> Parsed:
    """Read numbered rows (the header is row 1) into households; a household with any
    bad row is rejected whole, and every problem is reported."""
    households: dict[str, HouseholdInFile] = {}
    errors: list[RowError] = []
    rejected: set[str] = set()
    seen_ids: dict[str, tuple[int, str]] = {}
    household_cells = _HouseholdCells()
    count = 0
    for number, row in rows:
        count += 1
        household_values, household_problems = household_cells(row)
        member_values, member_problems = _cells(row, _MEMBER_COLUMNS)
        problems = household_problems + member_problems
        key = household_values.get("registry_no")
        errors += [RowError(number, column, reason) for column, reason in problems]
        if key is None:
            continue
        if problems:
            rejected.add(key)
            continue
        record = HouseholdRecord(**household_values)
        member = MemberRecord(**member_values)
        prior = seen_ids.get(member.id_number)
        if prior is not None:
            errors.append(RowError(number, "证件号码", f"also on row {prior[0]}"))
            rejected.update({key, prior[1]})
            continue
        found = households.get(key)
        if found is None:
            found = households[key] = HouseholdInFile(record)
        elif found.record != record:
            column = _first_difference(found.record, record)
            errors.append(RowError(number, column, f"differs from row {found.rows[0]}"))
            rejected.add(key)
            continue
        seen_ids[member.id_number] = (number, key)
        found.members.append(member)
        found.rows.append(number)
    for key, household in households.items():
        for column, reason in _household_problems(household):
            errors.append(RowError(household.rows[0], column, reason))
            rejected.add(key)
    errors.sort(key=lambda e: (e.row, HEADERS.index(e.column) if e.column in HEADERS else 0))
    good = {k: h for k, h in households.items() if k not in rejected}
    return Parsed(good, errors, rejected, count)


def _first_difference(a: HouseholdRecord, b: HouseholdRecord) -> str:
    for f in fields(HouseholdRecord):
        if getattr(a, f.name) != getattr(b, f.name):
            return header_of(f.name)
    return HEADERS[0]


def rows_of(record: HouseholdRecord, members: Iterable[MemberRecord]) -> list[list[str]]:
    """A household as file rows, in ``HEADERS`` order: the inverse of ``parse``."""
    household = {f.name: getattr(record, f.name) for f in fields(HouseholdRecord)}
    out = []
    for member in members:
        values = household | {f.name: getattr(member, f.name) for f in fields(MemberRecord)}
        out.append([_label(values[c.attribute]) for c in COLUMNS])
    return out
