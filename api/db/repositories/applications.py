"""Reads of exit applications and their history, scoped like every other read."""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    SQLColumnExpression,
    Table,
    and_,
    bindparam,
    false,
    func,
    insert,
    inspect,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.instrumentation import manager_of_class

from api.db import chain, chain_facts, direct
from api.db.models import (
    AuditEvent,
    Evidence,
    ExitApplication,
    Household,
    Objection,
    PolicyState,
    ProcedureVersion,
    StageRecord,
    VillageIndicators,
)
from api.db.repositories import households as household_repo
from api.db.repositories.scoping import (
    ScopeShape,
    in_scope,
    in_scope_bound,
    in_subtree,
    scope_shape,
    scope_values,
)
from api.db.statements import arrays, keys_in, shaped
from api.db.views import ApplicationView, HouseholdView, StageRecordView
from api.domain.chain import canonical, sha256
from api.domain.history import ATTACHING_ACTIONS, Entry
from api.domain.jurisdictions import Scope, prefix_range
from api.domain.procedures import Decision


async def get(
    session: AsyncSession, application_id: int, *, scope: Scope
) -> ExitApplication | None:
    return await session.scalar(
        select(ExitApplication).where(
            ExitApplication.id == application_id, in_scope(ExitApplication.unit_code, scope)
        )
    )


@dataclass(frozen=True, slots=True)
class ForStep:
    """What performing a step needs to know first, read in one statement."""

    application: ExitApplication
    digest: str
    """The digest of its procedure version (parsed versions are cached by digest)."""
    policy_version: int
    """The stored policy version, for the authorization check of the same request."""
    history: list[Entry]
    """Its stage records, oldest first, with the evidence each one attached."""


_POLICY_VERSION = select(PolicyState.version).where(PolicyState.id == 1).scalar_subquery()


async def for_step(session: AsyncSession, application_id: int, *, scope: Scope) -> ForStep | None:
    """The application if in scope, with its procedure's digest, the policy version and
    its history: one round trip where it took five (the row, its version, the policy
    version, its performers and what was attached since its last return).

    The application comes back detached from ``session`` where the read ran on the driver
    connection (an autocommit session on PostgreSQL: the step writes it with
    ``write_step``'s one statement, never through a flush); otherwise it is the
    session's, for the caller's flush."""
    params: dict[str, Any] = {"application_id": application_id}
    for index, prefix in enumerate(scope.prefixes):
        bounds = prefix_range(prefix)
        params |= {f"low_{index}": bounds.low, f"high_{index}": bounds.high}
    query = _for_step_query(len(scope.prefixes), scope.everything)
    rows = await direct.driver_rows(session, query, params)
    attach = rows is None
    if rows is None:
        rows = (await session.execute(query, params)).all()
    if not rows:
        return None
    first = rows[0]
    application = _application_of(first)
    if attach:
        application = await session.merge(application, load=False)
    history = [
        Entry(row.r_stage, row.r_action, row.r_decision, row.r_actor, row.r_at, row.r_kind)
        for row in rows
        if row.r_stage is not None
    ]
    return ForStep(application, first.digest, int(first.policy_version or 0), history)


_APPLICATION_ATTRIBUTES = tuple(
    (attribute.key, attribute.columns[0]) for attribute in inspect(ExitApplication).column_attrs
)


_APPLICATIONS = manager_of_class(ExitApplication)


def _application_of(row: Any) -> ExitApplication:
    """The application of a ``for_step`` row, detached, as if loaded and then let go:
    what a step then changes on it is its history, for ``write_step``."""
    application: ExitApplication = _APPLICATIONS.new_instance()  # as loading makes one
    state = instance_state(application)
    for key, _ in _APPLICATION_ATTRIBUTES:
        state.dict[key] = getattr(row, f"app_{key}")
    make_transient_to_detached(application)
    return application


@functools.lru_cache(maxsize=16)
def _for_step_query(ranges: int, everything: bool) -> Select[Any]:
    """The read of ``for_step`` for a scope of this shape, built once: the application id
    and the scope's code ranges are bound parameters (as ``in_scope`` would write them)."""
    unit = ExitApplication.unit_code
    visible: ColumnElement[bool]
    if everything:
        visible = true()
    elif not ranges:
        visible = false()
    else:
        visible = or_(
            *(
                and_(unit >= bindparam(f"low_{index}"), unit < bindparam(f"high_{index}"))
                for index in range(ranges)
            )
        )
    return (
        select(
            *(column.label(f"app_{key}") for key, column in _APPLICATION_ATTRIBUTES),
            ProcedureVersion.digest.label("digest"),
            _POLICY_VERSION.label("policy_version"),
            StageRecord.stage.label("r_stage"),
            StageRecord.action.label("r_action"),
            StageRecord.decision.label("r_decision"),
            StageRecord.actor_subject.label("r_actor"),
            StageRecord.at.label("r_at"),
            Evidence.kind.label("r_kind"),
        )
        .join(ProcedureVersion, ProcedureVersion.id == ExitApplication.procedure_version_id)
        .outerjoin(StageRecord, StageRecord.application_id == ExitApplication.id)
        .outerjoin(
            Evidence,
            and_(
                Evidence.application_id == ExitApplication.id,
                Evidence.stage_record_id == StageRecord.id,
                _one_of(StageRecord.action, ATTACHING_ACTIONS),
            ),
        )
        .where(ExitApplication.id == bindparam("application_id"), visible)
        .order_by(StageRecord.id, Evidence.id)
    )


# What a step writes is what its chain entry holds (api/db/chain_facts.py).
RECORD_COLUMNS = tuple(c for c in chain_facts.STAGE_RECORD if c != "application_id")
EVIDENCE_COLUMNS = chain_facts.EVIDENCE
AUDIT_COLUMNS = (
    "at",
    "actor_subject",
    "actor_role",
    "actor_jurisdiction",
    "action",
    "object_kind",
    "object_id",
    "unit_code",
    "detail",
    "evidence_hashes",
)


async def write_step(
    session: AsyncSession,
    application: ExitApplication,
    *,
    record: Mapping[str, Any],
    evidence: Sequence[Mapping[str, Any]],
    audit: Mapping[str, Any],
) -> bool:
    """Write one step: the application's pending changes (guarded by its row version),
    its stage record, the record's evidence and the ledger event.

    On PostgreSQL this is one statement (data-modifying CTEs, each insert reading the
    row the one before returned), so a lost race writes nothing and returns False.
    Elsewhere, or for an application not inserted yet, the rows are added to the session
    for the caller's flush, which detects a lost race itself; True then means only
    "not lost yet".
    """
    state = inspect(application)
    if state.pending or session.get_bind().dialect.name != "postgresql":
        made = StageRecord(application_id=application.id, **record)
        proofs = [
            Evidence(application_id=application.id, stage_record=made, **item) for item in evidence
        ]
        session.add(made)
        session.add_all(proofs)
        session.add(AuditEvent(**audit))
        chain.note_stage_record(session, made, proofs)
        return True
    changed = tuple(
        sorted(
            key
            for key in state.committed_state
            if key != "row_version" and state.attrs[key].history.has_changes()
        )
    )
    params: dict[str, Any] = {
        "app_id": application.id,
        "old_version": application.row_version,
        "new_version": application.row_version + 1,
    }
    params |= {f"app_{key}": getattr(application, key) for key in changed}
    params |= {f"rec_{key}": record[key] for key in RECORD_COLUMNS}
    content = chain_facts.stage_record({"application_id": application.id, **record}, evidence)
    params["chain_content"] = canonical(content)
    params["chain_sha256"] = sha256(params["chain_content"])
    params |= {f"audit_{key}": audit[key] for key in AUDIT_COLUMNS}
    for index, item in enumerate(evidence):
        params |= {f"ev{index}_{key}": item[key] for key in EVIDENCE_COLUMNS}
    # Past the ORM: the statement writes the application's changes itself, so nothing
    # is to be flushed first (nor is there an ORM row to load). On the driver connection
    # where the session is in autocommit, else on the session's connection.
    statement = _step_statement(changed, len(evidence))
    written = await direct.driver_rows(session, statement, params)
    if written is None:
        connection = await session.connection()
        written = (await connection.execute(statement, params)).all()
    if not written:
        return False
    if changed:  # what the statement wrote is now the row's committed state
        for key in changed:
            set_committed_value(application, key, params[f"app_{key}"])
        set_committed_value(application, "row_version", params["new_version"])
    return True


@functools.lru_cache(maxsize=64)
def _step_statement(changed: tuple[str, ...], evidence_count: int) -> Select[tuple[int]]:
    """The one-statement step for these changed columns and this much evidence (built
    once per shape; the values are bound parameters). Without changes the application
    is not updated (nor its row version moved), as the ORM's flush would not."""
    models = (ExitApplication, StageRecord, Evidence, AuditEvent)
    apps, records, proofs, events = (cast("Table", model.__table__) for model in models)
    fields = [bindparam(f"rec_{key}", type_=records.c[key].type) for key in RECORD_COLUMNS]
    ctes = []
    if changed:
        app = (
            update(apps)
            .where(apps.c.id == bindparam("app_id"), apps.c.row_version == bindparam("old_version"))
            .values(
                {key: bindparam(f"app_{key}", type_=apps.c[key].type) for key in changed}
                | {"row_version": bindparam("new_version")}
            )
            .returning(apps.c.id)
            .cte("step_app")
        )
        ctes.append(app)
        rows = select(app.c.id, *fields)
    else:
        rows = select(bindparam("app_id", type_=records.c.application_id.type), *fields)
    record = (
        insert(records)
        .from_select(["application_id", *RECORD_COLUMNS], rows)
        .returning(records.c.id, records.c.application_id)
        .cte("step_record")
    )
    if evidence_count:
        pieces = [
            select(
                record.c.application_id,
                record.c.id,
                *(
                    bindparam(f"ev{index}_{key}", type_=proofs.c[key].type)
                    for key in EVIDENCE_COLUMNS
                ),
            )
            for index in range(evidence_count)
        ]
        source = pieces[0] if evidence_count == 1 else union_all(*pieces)
        ctes.append(
            insert(proofs)
            .from_select(["application_id", "stage_record_id", *EVIDENCE_COLUMNS], source)
            .cte("step_evidence")
        )
    ctes.append(
        insert(events)
        .from_select(
            list(AUDIT_COLUMNS),
            select(
                *(bindparam(f"audit_{key}", type_=events.c[key].type) for key in AUDIT_COLUMNS)
            ).select_from(record),
        )
        .cte("step_audit")
    )
    chained = (
        select(chain.append_clause("stage_record", record.c.id, record.c.application_id))
        .select_from(record)
        .cte("step_chain")
    )
    return select(record.c.id).select_from(record.join(chained, true())).add_cte(*ctes)


async def posted_now(
    session: AsyncSession, application_id: int, *, now: datetime
) -> ExitApplication | None:
    """The application if its notice is on the board right now (what the public can see)."""
    return await session.scalar(
        select(ExitApplication).where(
            ExitApplication.id == application_id,
            ExitApplication.notice_started_at <= now,
            ExitApplication.notice_ends_at > now,
            ExitApplication.status == "in_progress",
        )
    )


async def performers(session: AsyncSession, application_id: int) -> dict[str, str]:
    """Who last approved each stage of the application."""
    rows = await session.execute(
        select(StageRecord.stage, StageRecord.actor_subject)
        .where(
            StageRecord.application_id == application_id,
            StageRecord.action == "perform",
            StageRecord.decision == Decision.APPROVE,
        )
        .order_by(StageRecord.id)
    )
    return {stage: subject for stage, subject in rows}


async def version(session: AsyncSession, version_id: int) -> ProcedureVersion:
    row = await session.get(ProcedureVersion, version_id)
    assert row is not None  # a foreign key guarantees it
    return row


async def version_by_digest(session: AsyncSession, digest: str) -> ProcedureVersion | None:
    return await session.scalar(select(ProcedureVersion).where(ProcedureVersion.digest == digest))


async def objection(session: AsyncSession, objection_id: int) -> Objection | None:
    return await session.get(Objection, objection_id)


async def facilities(
    session: AsyncSession, village_codes: Sequence[str], *, year: int
) -> dict[str, dict[str, Any]]:
    rows = await session.scalars(
        select(VillageIndicators).where(
            VillageIndicators.village_code.in_(village_codes), VillageIndicators.year == year
        )
    )
    return {
        row.village_code: {
            "hamlet_road_paved": row.hamlet_road_paved,
            "broadband": row.broadband,
            "radio_and_cable_tv": row.radio_and_cable_tv,
            "clinic_with_doctor": row.clinic_with_doctor,
            "cultural_venue": row.cultural_venue,
        }
        for row in rows
    }


@shaped
def _records(array: bool) -> Select[Any]:
    table = StageRecord.__table__
    return (
        select(table)
        .where(keys_in(table.c.application_id, "ids", BigInteger(), array=array))
        .order_by(table.c.application_id, table.c.id)
    )


async def records_for(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, list[StageRecordView]]:
    """Each application's history, oldest first, as rows (no ORM instances: api/db/views.py)."""
    rows = await direct.rows(session, _records(arrays(session)), {"ids": list(ids)})
    grouped: dict[int, list[StageRecordView]] = {i: [] for i in ids}
    for row in rows:
        grouped[row.application_id].append(row)
    return grouped


async def objections_for(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Objection]]:
    rows = await session.scalars(
        select(Objection).where(Objection.application_id.in_(ids)).order_by(Objection.id)
    )
    grouped: dict[int, list[Objection]] = {i: [] for i in ids}
    for row in rows:
        grouped[row.application_id].append(row)
    return grouped


async def evidence_for(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[Evidence]]:
    rows = await session.scalars(
        select(Evidence).where(Evidence.application_id.in_(ids)).order_by(Evidence.id)
    )
    grouped: dict[int, list[Evidence]] = {i: [] for i in ids}
    for row in rows:
        grouped[row.application_id].append(row)
    return grouped


async def versions_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, ProcedureVersion]:
    rows = await session.scalars(select(ProcedureVersion).where(ProcedureVersion.id.in_(ids)))
    return {row.id: row for row in rows}


async def by_ids(
    session: AsyncSession, ids: Sequence[int], *, scope: Scope
) -> dict[int, ExitApplication]:
    rows = await session.scalars(
        select(ExitApplication).where(
            ExitApplication.id.in_(ids), in_scope(ExitApplication.unit_code, scope)
        )
    )
    return {row.id: row for row in rows}


async def latest_for_households(
    session: AsyncSession, household_ids: Sequence[int], *, scope: Scope
) -> dict[int, ExitApplication]:
    """The newest application of each household (by year, then id)."""
    rows = await session.scalars(
        select(ExitApplication)
        .where(
            ExitApplication.household_id.in_(household_ids),
            in_scope(ExitApplication.unit_code, scope),
        )
        .order_by(ExitApplication.household_id, ExitApplication.year, ExitApplication.id)
    )
    latest: dict[int, ExitApplication] = {}
    for row in rows:
        assert row.household_id is not None
        latest[row.household_id] = row  # later rows win
    return latest


async def visible_objections(
    session: AsyncSession, ids: Sequence[int], *, scope: Scope
) -> list[Objection]:
    rows = await session.scalars(
        select(Objection)
        .join(ExitApplication, ExitApplication.id == Objection.application_id)
        .where(Objection.id.in_(ids), in_scope(ExitApplication.unit_code, scope))
    )
    return list(rows)


OPEN_STATUSES = ("in_progress", "objected")
"""The statuses of an application that still waits on someone."""

WaitingStage = tuple[str, str, str, tuple[str, ...] | None, bool]
"""(procedure code, subject kind, stage, designations, designations_excluded)."""


def _one_of(column: SQLColumnExpression[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """``column IN (values)`` as plain comparisons: an IN list is an expanding parameter,
    re-rendered into the SQL on every execution. No values: false, as ``IN ()``."""
    if not values:
        return false()
    return or_(*(column == value for value in values))


@functools.lru_cache(maxsize=64)
def _waiting_at(stages: tuple[WaitingStage, ...]) -> ColumnElement[bool]:
    """The SQL condition for "waits at one of ``stages``", built once per set of stages
    (SQL expressions are immutable; building this one was a tenth of an inbox's CPU)."""
    table, version = ExitApplication.__table__.c, ProcedureVersion.__table__.c
    conditions = []
    for code, kind, stage, designations, excluded in stages:
        condition = and_(version.code == code, table.subject_kind == kind, table.stage == stage)
        if designations is not None:
            branch = _one_of(table.designation, designations)
            if excluded:
                branch = or_(table.designation.is_(None), ~branch)
            condition = and_(condition, branch)
        conditions.append(condition)
    return or_(*conditions)


@shaped
def _waiting_on(
    scope: ScopeShape, stages: tuple[WaitingStage, ...], households: bool
) -> Select[Any]:
    """Table columns only, no mapped class: the statement runs as plain Core (and as a
    direct read), without the ORM's compile state and row loading."""
    table, version = ExitApplication.__table__, ProcedureVersion.__table__
    query = select(table).join(version, version.c.id == table.c.procedure_version_id)
    if households:
        household = Household.__table__
        query = query.add_columns(*household_repo.view_columns()).outerjoin(
            household,
            and_(
                table.c.subject_kind == "household",
                household.c.registry_no == table.c.subject_key,
                in_scope_bound(household.c.village_code, scope),
            ),
        )
    return (
        query.where(
            in_scope_bound(table.c.unit_code, scope),
            _one_of(table.c.status, OPEN_STATUSES),
            _waiting_at(stages),
        )
        .order_by(table.c.updated_at, table.c.id)
        .limit(bindparam("first"))
    )


_APPLICATION_COLUMNS = len(ExitApplication.__table__.c)
HouseholdRow = namedtuple("HouseholdRow", household_repo.VIEW_COLUMNS)  # type: ignore[misc]
"""A household read with an application, as a row of its own (a HouseholdView)."""


async def waiting_on(
    session: AsyncSession,
    *,
    scope: Scope,
    stages: Sequence[WaitingStage],
    first: int,
    households: bool = False,
) -> list[tuple[ApplicationView, HouseholdView | None]]:
    """Open applications in scope waiting at one of ``stages``, oldest first (as rows);
    with ``households``, each household subject in scope comes in the same statement."""
    if not stages:
        return []
    statement = _waiting_on(scope_shape(scope), tuple(stages), households)
    rows = await direct.rows(session, statement, {"first": first} | scope_values(scope))
    if not households:
        return [(row, None) for row in rows]
    return [
        (
            row,
            None
            if row[_APPLICATION_COLUMNS] is None
            else cast("HouseholdView", HouseholdRow(*row[_APPLICATION_COLUMNS:])),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class ApplicationFilter:
    under: str | None = None
    statuses: tuple[str, ...] = ()
    stage: str | None = None
    year: int | None = None
    subject_kind: str | None = None


def _filtered(scope: Scope, where: ApplicationFilter) -> Select[ExitApplication]:
    query = select(ExitApplication).where(in_scope(ExitApplication.unit_code, scope))
    if where.under:
        query = query.where(in_subtree(ExitApplication.unit_code, where.under))
    if where.statuses:
        query = query.where(ExitApplication.status.in_(where.statuses))
    if where.stage:
        query = query.where(ExitApplication.stage == where.stage)
    if where.year is not None:
        query = query.where(ExitApplication.year == where.year)
    if where.subject_kind:
        query = query.where(ExitApplication.subject_kind == where.subject_kind)
    return query


async def page(
    session: AsyncSession,
    *,
    scope: Scope,
    where: ApplicationFilter,
    by_update: bool,
    after: tuple[datetime, int] | tuple[int] | None,
    first: int,
) -> list[ExitApplication]:
    """Keyset page: by id, or by (updated_at, id) for "waiting longest first"."""
    query = _filtered(scope, where)
    if by_update:
        if after is not None:
            query = query.where(
                tuple_(ExitApplication.updated_at, ExitApplication.id) > tuple_(*after)
            )
        query = query.order_by(ExitApplication.updated_at, ExitApplication.id)
    else:
        if after is not None:
            query = query.where(ExitApplication.id > after[-1])
        query = query.order_by(ExitApplication.id)
    return list(await session.scalars(query.limit(first + 1)))


async def count(session: AsyncSession, *, scope: Scope, where: ApplicationFilter) -> int:
    subquery = _filtered(scope, where).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def audit_for(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[AuditEvent]]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_kind == "application",
            AuditEvent.object_id.in_([str(i) for i in ids]),
        )
        .order_by(AuditEvent.id)
    )
    grouped: dict[int, list[AuditEvent]] = {i: [] for i in ids}
    for row in rows:
        grouped[int(row.object_id)].append(row)
    return grouped


@dataclass(frozen=True, slots=True)
class PostedNotice:
    application: ExitApplication
    head_name: str | None
    villager_group: str | None


async def posted_notices(
    session: AsyncSession, *, now: datetime, under: str | None, after: int | None, first: int
) -> list[PostedNotice]:
    """Notices on the board right now: public by their nature, so unscoped."""
    query = (
        select(ExitApplication, Household.head_name, Household.villager_group)
        .outerjoin(Household, Household.id == ExitApplication.household_id)
        .where(
            ExitApplication.notice_started_at <= now,
            ExitApplication.notice_ends_at > now,
            ExitApplication.status == "in_progress",
        )
    )
    if under:
        query = query.where(in_subtree(ExitApplication.unit_code, under))
    if after is not None:
        query = query.where(ExitApplication.id > after)
    rows = await session.execute(query.order_by(ExitApplication.id).limit(first + 1))
    return [PostedNotice(app, head, group) for app, head, group in rows]
