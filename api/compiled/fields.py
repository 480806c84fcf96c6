"""How each planned field becomes SQL: per GraphQL type, field name -> compiler.

A compiler gets the planner, the selected field and the row it reads from, and returns
one SQL expression of the field's JSON value. Scalar fields take their serialization
from the field's GraphQL type (enums by the schema's own names, instants as Strawberry
writes them); the reads' rules are the general path's, each named where it is written:

- scope: every household and application is reached through ``sql.in_scope`` on its
  division code, as the repositories' ``in_scope_bound``;
- masking: ID numbers and phones in full only where the viewer's jurisdiction contains
  the household's township (``api.resolvers.privacy``);
- validation: an argument the general path would refuse (``first`` out of range, a bad
  year, code or cursor) sends the request there, to be refused with its own error.

A field missing from ``FIELDS`` is not planned: its operation takes the general path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLScalarType,
    SelectionSetNode,
    get_named_type,
)

from api.compiled import sql
from api.compiled.selection import Document, Selected, Unplannable, Variable
from api.compiled.sql import Binder, Inputs, Statement
from api.db.repositories.applications import OPEN_STATUSES
from api.db.repositories.scoping import ScopeShape
from api.domain.jurisdictions import validate_code
from api.domain.register import IncomeKind
from api.domain.roles import ROLES, Role
from api.domain.years import check_year
from api.errors import ValidationFailed
from api.procedure_files import ProcedureBook
from api.resolvers import cursors
from api.resolvers.households import MAX_PAGE
from api.resolvers.ids import parse_id
from api.services.inbox import waiting_stages

INBOX_MAX = 100
"""``Viewer.inbox``'s bound on ``first``."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What a variant's SQL text depends on, besides the document."""

    scope: ScopeShape
    """The shape of the principal's read scope (``scoping.scope_shape``)."""
    role: Role
    nulls: frozenset[str]
    """Variables given as null in this request."""
    absent: frozenset[str]
    """Variables left out (their arguments take the argument's default)."""
    node_types: tuple[tuple[str, str | None], ...]
    """Variable of type ID -> the type name inside its global ID (None: not one)."""


@dataclass
class Planner:
    document: Document
    book: ProcedureBook
    shape: Shape
    statement: Statement

    _jurisdiction: str | None = None

    def object(self, type_name: str, row: Row, selection_sets: Iterable[SelectionSetNode]) -> str:
        runtime = self.document.schema.type_map[type_name]
        assert isinstance(runtime, GraphQLObjectType)
        compilers = FIELDS.get(type_name, {})
        pairs = []
        for selected in self.document.fields(runtime, selection_sets):
            if selected.name == "__typename":
                pairs.append((selected.key, f"'{type_name}'"))
                continue
            compile_field = compilers.get(selected.name)
            if compile_field is None:
                raise Unplannable(f"{type_name}.{selected.name} is not planned")
            pairs.append((selected.key, compile_field(self, Field(runtime, selected), row)))
        return sql.json_object(pairs)

    def argument(self, field: Field, name: str, cast: str, check: Check = None) -> str:
        """An argument as a parameter, checked per request as the general path checks it.

        A whole number the document itself gives (a literal, or the argument's default)
        is checked now and written into the text instead: the planner then knows
        ``LIMIT 51`` rather than ``LIMIT $n`` (which it guesses at a tenth of the table),
        so PostgreSQL can keep one generic plan instead of planning every execution."""
        given = field.selected.arguments[name]
        if not isinstance(given, Variable) and cast in ("int", "bigint"):
            value = _checked_value(given, check)
            if type(value) is int:
                return str(value)
        return self.statement.bind(self._checked(field, name, check), cast)

    def check(self, field: Field, name: str, check: Check) -> None:
        """An argument checked per request, not a parameter of the statement."""
        self.statement.checks.append(self._checked(field, name, check))

    def _checked(self, field: Field, name: str, check: Check) -> Binder:
        given = field.selected.arguments[name]

        def bind(inputs: Inputs) -> Any:
            return _checked_value(inputs.value(given), check)

        return bind

    def is_null(self, field: Field, name: str) -> bool:
        """Whether the argument is null in this variant (a literal, or a null variable)."""
        given = field.selected.arguments[name]
        if isinstance(given, Variable):
            if given.name in self.shape.absent:
                return given.default is None
            return given.name in self.shape.nulls
        return given is None

    def in_scope(self, column: str) -> str:
        return sql.in_scope(self.statement, column, self.shape.scope)

    def sees_identity(self, village_code: str) -> str:
        """``api.resolvers.privacy.sees_identity``: the viewer's jurisdiction contains the
        household's township (its code's first nine digits)."""
        if self._jurisdiction is None:
            self._jurisdiction = self.statement.bind(lambda i: i.principal.jurisdiction, "text")
        return f"starts_with(left({village_code}, 9), {self._jurisdiction})"


Check = Callable[[Any], Any] | None


def _checked_value(value: Any, check: Check) -> Any:
    if check is None:
        return value
    try:
        return check(value)
    except ValidationFailed as exc:
        raise Unplannable(exc.message) from None


@dataclass(frozen=True, slots=True)
class Field:
    parent: GraphQLObjectType
    selected: Selected

    @property
    def sets(self) -> tuple[SelectionSetNode, ...]:
        return self.selected.selection_sets


@dataclass(frozen=True, slots=True)
class Page:
    """A connection's page, for the fields of the connection and its page info."""

    first: str
    """The ``first`` parameter."""
    counted: Callable[[str], str]
    """The condition on households (by the alias given) that ``totalCount`` counts."""


@dataclass(frozen=True, slots=True)
class Row:
    alias: str
    household: str | None = None
    """For a member: the alias of its household's row (masking)."""
    page: Page | None = None
    """For a connection: the rows of its page, numbered ``page_row``."""
    laterals: dict[object, tuple[str, str]] = field(default_factory=dict)
    """Subqueries joined to the row, computed once per row whatever reads them (a
    household's figures of a year): key -> (alias, subquery). Filled while the row's
    fields compile; whoever writes the row's FROM writes them after (``joins``)."""

    def __getitem__(self, column: str) -> str:
        return f"{self.alias}.{column}"

    def joins(self) -> str:
        # OFFSET 0 keeps each subquery whole: pulled up into the row's query, its
        # columns would be its expressions again, evaluated once per reference.
        return "".join(
            f" CROSS JOIN LATERAL ({subquery} OFFSET 0) {alias}"
            for alias, subquery in self.laterals.values()
        )


Compiler = Callable[[Planner, Field, Row], str]


# ---------------------------------------------------------------- scalars


def column(name: str) -> Compiler:
    """A column, serialized by the field's GraphQL type."""

    def compile_column(planner: Planner, field: Field, row: Row) -> str:
        output = get_named_type(field.parent.fields[field.selected.name].type)
        value = row[name]
        if isinstance(output, GraphQLEnumType):
            return sql.enum(value, {str(v.value): k for k, v in output.values.items()})
        assert isinstance(output, GraphQLScalarType)
        if output.name == "DateTime":
            return sql.instant(value)
        if output.name in ("String", "Int", "Boolean"):
            return value
        raise Unplannable(f"scalar {output.name} is not planned")

    return compile_column


def global_id(type_name: str, key: str) -> Compiler:
    return lambda planner, field, row: sql.global_id(type_name, row[key])


def masked_id_number(planner: Planner, field: Field, row: Row) -> str:
    """``mask_id_number``: the first six and last four digits."""
    assert row.household is not None
    value = row["id_number"]
    masked = f"left({value}, 6) || '********' || right({value}, 4)"
    return f"(CASE WHEN {planner.sees_identity(row.household + '.village_code')} THEN {value} ELSE {masked} END)"  # noqa: E501


def masked_phone(planner: Planner, field: Field, row: Row) -> str:
    """``mask_phone``: the first three and last four, or ``****`` for a short number."""
    value = row["phone"]
    masked = f"CASE WHEN length({value}) >= 7 THEN left({value}, 3) || '****' || right({value}, 4) ELSE '****' END"  # noqa: E501
    return f"(CASE WHEN {value} IS NULL THEN NULL WHEN {planner.sees_identity(row['village_code'])} THEN {value} ELSE {masked} END)"  # noqa: E501


# ---------------------------------------------------------------- jurisdictions


def unit(planner: Planner, field: Field, code: str) -> str:
    """The unit with division code ``code``, or null (the division table is public)."""
    j = planner.statement.alias("j")
    body = planner.object("Jurisdiction", Row(j), field.sets)
    return f"(SELECT {body} FROM jurisdictions {j} WHERE {j}.code = {code})"


def listed(
    planner: Planner,
    field: Field,
    type_name: str,
    table: str,
    where: Callable[[str], str],
    order: str,
    row: Callable[[str], Row] = Row,
) -> str:
    """Every row of ``table`` matching ``where`` (given the alias), as a list of
    ``type_name`` objects ordered by the column ``order``."""
    alias = planner.statement.alias(table[0])
    body = planner.object(type_name, row(alias), field.sets)
    return sql.json_list(body, f"{table} {alias} WHERE {where(alias)}", f"{alias}.{order}")


def children(planner: Planner, field: Field, row: Row) -> str:
    parent = row["code"]
    return listed(
        planner,
        field,
        "Jurisdiction",
        "jurisdictions",
        lambda c: f"{c}.parent_code = {parent}",
        "code",
    )


def households(planner: Planner, field: Field, row: Row) -> str:
    """``Jurisdiction.households``: a keyset page under the unit, in the viewer's scope,
    one row more than asked to know of a next page (``api.resolvers.households``)."""
    if not planner.is_null(field, "meetsStandard"):
        raise Unplannable("meetsStandard is judged in Python")
    statement = planner.statement
    first = planner.argument(field, "first", "int", _page_size(MAX_PAGE))
    h = statement.alias("h")
    where = _under(planner, field, h, row["code"])
    if not planner.is_null(field, "after"):
        code = planner.argument(field, "after", "text", lambda v: cursors.decode_household(v)[0])
        ident = planner.argument(field, "after", "bigint", lambda v: cursors.decode_household(v)[1])
        where += f" AND ({h}.village_code, {h}.id) > ({code}, {ident})"
    page = (
        f"(SELECT {h}.*, row_number() OVER (ORDER BY {h}.village_code, {h}.id) AS page_row "
        f"FROM households {h} WHERE {where} ORDER BY {h}.village_code, {h}.id LIMIT {first} + 1)"
    )
    counted = Page(first, lambda t: _under(planner, field, t, row["code"]))
    rows = Row(h, page=counted)
    body = planner.object("HouseholdConnection", rows, field.sets)
    # One row, whatever the page holds or the selection asks (GROUP BY (): aggregate).
    return f"(SELECT {body} FROM {page} {h}{rows.joins()} GROUP BY ())"


def _under(planner: Planner, field: Field, h: str, code: str) -> str:
    """Households under the unit ``code``, in scope, with the exitAttribute filter (an
    empty list filters nothing, as in the general path)."""
    high = f"(left({code}, -1) || chr(ascii(right({code}, 1)) + 1))"
    where = f"{h}.village_code >= {code} AND {h}.village_code < {high}"
    where += f" AND {planner.in_scope(h + '.village_code')}"
    if not planner.is_null(field, "exitAttribute"):
        wanted = planner.argument(field, "exitAttribute", "text[]", list)
        where += f" AND (cardinality({wanted}) = 0 OR {h}.exit_attribute = ANY({wanted}))"
    return where


def _page(row: Row) -> Page:
    assert row.page is not None
    return row.page


def edges(planner: Planner, field: Field, row: Row) -> str:
    page = _page(row)
    body = planner.object("HouseholdEdge", row, field.sets)
    h = row.alias
    return (
        f"coalesce(json_agg({body} ORDER BY {h}.page_row) "
        f"FILTER (WHERE {h}.page_row <= {page.first}), '[]'::json)"
    )


def page_info(planner: Planner, field: Field, row: Row) -> str:
    return planner.object("PageInfo", row, field.sets)


def has_next_page(planner: Planner, field: Field, row: Row) -> str:
    return f"(count(*) > {_page(row).first})"


def end_cursor(planner: Planner, field: Field, row: Row) -> str:
    page, h = _page(row), row.alias
    last = sql.cursor(f"{h}.village_code", f"{h}.id")
    return f"(array_agg({last} ORDER BY {h}.page_row DESC) FILTER (WHERE {h}.page_row <= {page.first}))[1]"  # noqa: E501


def total_count(planner: Planner, field: Field, row: Row) -> str:
    t = planner.statement.alias("t")
    return f"(SELECT count(*) FROM households {t} WHERE {_page(row).counted(t)})"


def edge_cursor(planner: Planner, field: Field, row: Row) -> str:
    return sql.cursor(row["village_code"], row["id"])


def edge_node(planner: Planner, field: Field, row: Row) -> str:
    return planner.object("Household", Row(row.alias, laterals=row.laterals), field.sets)


# ---------------------------------------------------------------- households


def household_by(planner: Planner, field: Field, where: Callable[[str], str]) -> str:
    """The household matching ``where`` (given its alias) in the viewer's scope, or null."""
    row = Row(planner.statement.alias("h"))
    body = planner.object("Household", row, field.sets)
    h = row.alias
    condition = f"{where(h)} AND {planner.in_scope(h + '.village_code')}"
    return f"(SELECT {body} FROM households {h}{row.joins()} WHERE {condition})"


def _year(planner: Planner, field: Field) -> str:
    return planner.argument(field, "year", "int", check_year)


def _size(household: str, year: str) -> str:
    """Members counted in the year (``member_counts_in``)."""
    return (
        f"(SELECT count(*) FROM household_members m WHERE m.household_id = {household}.id "
        f"AND (m.joined_year IS NULL OR m.joined_year <= {year}) "
        f"AND (m.left_year IS NULL OR m.left_year > {year}))"
    )


def figures(planner: Planner, field: Field, row: Row) -> str:
    """The alias of the row's figures of the field's year (``size``, ``net``: the year's
    incomes less costs, null without records), joined once per household and year."""
    key = ("figures", field.selected.arguments["year"])
    if key not in row.laterals:
        year = _year(planner, field)
        cost = IncomeKind.COST.value
        net = (
            f"(SELECT sum(CASE WHEN i.kind = '{cost}' THEN -i.amount ELSE i.amount END) "
            f"FROM income_records i WHERE i.household_id = {row.alias}.id AND i.year = {year})"
        )
        subquery = f"SELECT {_size(row.alias, year)} AS size, {net} AS net"
        row.laterals[key] = (planner.statement.alias("f"), subquery)
    return row.laterals[key][0]


def size(planner: Planner, field: Field, row: Row) -> str:
    return f"{figures(planner, field, row)}.size"


def per_capita_net_income(planner: Planner, field: Field, row: Row) -> str:
    """``api.domain.income.per_capita`` of the year's figures (``sql.per_capita``)."""
    f = figures(planner, field, row)
    return sql.per_capita(f"{f}.net", f"{f}.size")


def members(planner: Planner, field: Field, row: Row) -> str:
    household = row["id"]
    return listed(
        planner,
        field,
        "Member",
        "household_members",
        lambda m: f"{m}.household_id = {household}",
        "id",
        lambda m: Row(m, household=row.alias),
    )


# ---------------------------------------------------------------- applications


def application_household(planner: Planner, field: Field, row: Row) -> str:
    kind = row["subject_kind"]
    key = row["subject_key"]
    return household_by(
        planner, field, lambda h: f"{kind} = 'household' AND {h}.registry_no = {key}"
    )


def history(planner: Planner, field: Field, row: Row) -> str:
    application = row["id"]
    return listed(
        planner,
        field,
        "StageRecord",
        "stage_records",
        lambda r: f"{r}.application_id = {application}",
        "id",
    )


def current_stage(planner: Planner, field: Field, row: Row) -> str:
    # The stage's code is the application's; its names and evidence come from the
    # pinned procedure version, which only the general path reads.
    return planner.object("StageInfo", row, field.sets)


def inbox(planner: Planner, field: Field, row: Row) -> str:
    """``Viewer.inbox``: open applications in scope at a stage the role performs
    (``api.services.inbox.waiting_stages``, the procedures' own table), oldest first."""
    statement = planner.statement
    stages = waiting_stages(planner.book, planner.shape.role)
    if not stages:
        planner.check(field, "first", _page_size(INBOX_MAX))
        return "'[]'::json"
    first = planner.argument(field, "first", "int", _page_size(INBOX_MAX))
    a, v = statement.alias("a"), statement.alias("v")
    waiting = " OR ".join(_waiting_at(statement, a, v, stage) for stage in stages)
    statuses = ", ".join(statement.constant(s, "text") for s in OPEN_STATUSES)
    source = (
        f"(SELECT {a}.* FROM exit_applications {a} "
        f"JOIN procedure_versions {v} ON {v}.id = {a}.procedure_version_id "
        f"WHERE {planner.in_scope(a + '.unit_code')} AND {a}.status IN ({statuses}) "
        f"AND ({waiting}) ORDER BY {a}.updated_at, {a}.id LIMIT {first}) {a}"
    )
    body = planner.object("ExitApplication", Row(a), field.sets)
    return sql.json_list(body, source, f"{a}.updated_at, {a}.id")


def _waiting_at(statement: Statement, a: str, v: str, stage: tuple[Any, ...]) -> str:
    """One (procedure, kind, stage[, designations]) of ``waiting_stages``, as
    ``applications._waiting_at`` writes it."""
    code, kind, stage_code, designations, excluded = stage
    condition = (
        f"{v}.code = {statement.constant(code, 'text')} "
        f"AND {a}.subject_kind = {statement.constant(kind, 'text')} "
        f"AND {a}.stage = {statement.constant(stage_code, 'text')}"
    )
    if designations is not None:
        branch = (
            "("
            + " OR ".join(
                f"{a}.designation = {statement.constant(d, 'text')}" for d in designations
            )
            + ")"
            if designations
            else "FALSE"
        )
        if excluded:
            branch = f"({a}.designation IS NULL OR NOT {branch})"
        condition += f" AND {branch}"
    return f"({condition})"


# ---------------------------------------------------------------- the viewer


def viewer_jurisdiction(planner: Planner, field: Field, row: Row) -> str:
    code = planner.statement.bind(lambda i: i.principal.jurisdiction, "text")
    return unit(planner, field, code)


def principal_value(read: Callable[[Inputs], str]) -> Compiler:
    return lambda planner, field, row: planner.statement.bind(read, "text")


# ---------------------------------------------------------------- the root


def root_jurisdiction(planner: Planner, field: Field, row: Row) -> str:
    return unit(planner, field, planner.argument(field, "code", "text", validate_code))


def root_viewer(planner: Planner, field: Field, row: Row) -> str:
    return planner.object("Viewer", row, field.sets)


NODE_TYPES = ("Household", "Jurisdiction", "ExitApplication")


def root_node(planner: Planner, field: Field, row: Row) -> str:
    """``node(id:)`` for the planned types, each as its own ``resolve_nodes`` reads it."""
    given = field.selected.arguments["id"]
    if isinstance(given, Variable):
        type_name = dict(planner.shape.node_types).get(given.name)
    else:
        type_name = node_type(given)
    if type_name not in NODE_TYPES:
        raise Unplannable(f"node of type {type_name!r} is not planned")
    key = planner.argument(field, "id", "text" if type_name == "Jurisdiction" else "bigint", _key)
    if type_name == "Jurisdiction":
        return unit(planner, field, key)
    if type_name == "Household":
        return household_by(planner, field, lambda h: f"{h}.id = {key}")
    a = planner.statement.alias("a")
    body = planner.object("ExitApplication", Row(a), field.sets)
    where = f"{a}.id = {key} AND {planner.in_scope(a + '.unit_code')}"
    return f"(SELECT {body} FROM exit_applications {a} WHERE {where})"


def node_type(global_id: Any) -> str | None:
    """The type name inside a global ID, as Strawberry's GlobalID.from_id reads it."""
    parts = _split(global_id)
    return None if parts is None else parts[0]


def _split(global_id: Any) -> tuple[str, str] | None:
    if not isinstance(global_id, str):
        return None
    try:
        decoded = base64.b64decode(global_id).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, key = decoded.partition(":")
    return (type_name, key) if sep else None


def _key(global_id: Any) -> Any:
    parts = _split(global_id)
    if parts is None:
        raise Unplannable("not a global ID")
    type_name, key = parts
    if type_name == "Jurisdiction":
        return key
    number = parse_id(key)
    if number is None:
        raise Unplannable("not an id this API gives out")
    return number


def _page_size(bound: int) -> Callable[[Any], int]:
    def check(first: Any) -> int:
        if not 0 < first <= bound:
            raise Unplannable(f"first must be between 1 and {bound}")
        return int(first)

    return check


FIELDS: dict[str, dict[str, Compiler]] = {
    "Query": {
        "jurisdiction": root_jurisdiction,
        "node": root_node,
        "viewer": root_viewer,
    },
    "Viewer": {
        "subject": principal_value(lambda i: i.principal.subject),
        "role": principal_value(lambda i: i.principal.role.name),
        "roleLabel": principal_value(lambda i: ROLES[i.principal.role].zh),
        "jurisdictionCode": principal_value(lambda i: i.principal.jurisdiction),
        "jurisdiction": viewer_jurisdiction,
        "inbox": inbox,
    },
    "Jurisdiction": {
        "id": global_id("Jurisdiction", "code"),
        "code": column("code"),
        "name": column("name"),
        "level": column("level"),
        "parentCode": column("parent_code"),
        "parent": lambda planner, field, row: unit(planner, field, row["parent_code"]),
        "children": children,
        "households": households,
    },
    "HouseholdConnection": {
        "edges": edges,
        "pageInfo": page_info,
        "totalCount": total_count,
    },
    "HouseholdEdge": {"cursor": edge_cursor, "node": edge_node},
    "PageInfo": {"hasNextPage": has_next_page, "endCursor": end_cursor},
    "Household": {
        "id": global_id("Household", "id"),
        **{
            name: column(col)
            for name, col in {
                "registryNo": "registry_no",
                "villageCode": "village_code",
                "villagerGroup": "villager_group",
                "headName": "head_name",
                "standardKind": "standard_kind",
                "attribute": "attribute",
                "mainCause": "main_cause",
                "secondCause": "second_cause",
                "thirdCause": "third_cause",
                "exitAttribute": "exit_attribute",
                "registeredYear": "registered_year",
                "exitedYear": "exited_year",
            }.items()
        },
        "phone": masked_phone,
        "size": size,
        "perCapitaNetIncome": per_capita_net_income,
        "members": members,
        "village": lambda planner, field, row: unit(planner, field, row["village_code"]),
        "county": lambda planner, field, row: unit(
            planner, field, f"left({row['village_code']}, 6)"
        ),
    },
    "Member": {
        "id": global_id("Member", "id"),
        "idNumber": masked_id_number,
        **{
            name: column(col)
            for name, col in {
                "name": "name",
                "relation": "relation",
                "ethnicity": "ethnicity",
                "education": "education",
                "schooling": "schooling",
                "health": "health",
                "labourCapacity": "labour_capacity",
                "migrantWorkMonths": "migrant_work_months",
                "medicalInsurance": "medical_insurance",
                "seriousIllnessInsurance": "serious_illness_insurance",
                "seriousIllnessTreated": "serious_illness_treated",
                "pensionInsurance": "pension_insurance",
                "joinedYear": "joined_year",
                "leftYear": "left_year",
            }.items()
        },
    },
    "ExitApplication": {
        "id": global_id("ExitApplication", "id"),
        **{
            name: column(col)
            for name, col in {
                "subjectKind": "subject_kind",
                "subjectKey": "subject_key",
                "unitCode": "unit_code",
                "year": "year",
                "status": "status",
                "designation": "designation",
                "noticeStartedAt": "notice_started_at",
                "noticeEndsAt": "notice_ends_at",
                "createdAt": "created_at",
                "updatedAt": "updated_at",
            }.items()
        },
        "currentStage": current_stage,
        "household": application_household,
        "history": history,
    },
    "StageInfo": {"code": column("stage")},
    "StageRecord": {
        "id": global_id("StageRecord", "id"),
        **{
            name: column(col)
            for name, col in {
                "stage": "stage",
                "action": "action",
                "decision": "decision",
                "returnTo": "return_to",
                "reason": "reason",
                "actor": "actor_subject",
                "actorRole": "actor_role",
                "actorJurisdiction": "actor_jurisdiction",
                "at": "at",
            }.items()
        },
    },
}
