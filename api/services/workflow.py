"""Shared plumbing of the exit use cases: the request's environment, evidence input,
loading what the caller may see, the stored procedure snapshot, state, records, flushing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from api.authz.enforcer import Authorizer
from api.db.integrity import unique_violation
from api.db.models import (
    ExitApplication,
    ProcedureVersion,
)
from api.db.repositories import applications as app_repo
from api.db.repositories import evidence_files as file_repo
from api.domain import evidence_files, history
from api.domain.engine import State
from api.domain.notices import china_date
from api.domain.procedures import (
    Decision,
    EvidenceKind,
    Procedure,
    SubjectProcedure,
    parse_procedure,
)
from api.domain.roles import Principal
from api.domain.rules import StandardsPolicy
from api.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from api.procedure_files import ProcedureBook
from api.services import ledger

_SHA256 = re.compile(r"[0-9a-f]{64}")

ATTACH_ONLY = frozenset({EvidenceKind.EVALUATION_REPORT})
"""Evidence only others may attach: the performer cannot evaluate its own subject."""


STALE = "the application was changed by someone else; reload and retry"


def china_today(now: datetime) -> date:
    """The calendar day in China: an approval at 07:00 on 1 January is a January exit."""
    return china_date(now)


@dataclass(frozen=True, slots=True)
class Env:
    """What every use case works with; ``now`` is the request's clock reading."""

    session: AsyncSession
    authorizer: Authorizer
    book: ProcedureBook
    standards: StandardsPolicy
    now: datetime
    autocommit: async_sessionmaker[AsyncSession] | None = None
    """Sessions whose statements commit one by one (PostgreSQL), for a step whose reads
    need no shared snapshot and whose writes are one statement: it then needs no BEGIN
    and COMMIT. None where the use case must share ``session``'s transaction (an
    idempotency key's record, a caller's own transaction)."""


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    kind: EvidenceKind
    reference: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Step:
    """An application about to take a step, with what the step is judged on."""

    application: ExitApplication
    procedure: Procedure
    flow: SubjectProcedure
    policy_version: int
    """Read with the application: authorizing the step needs no read of its own."""
    entries: list[history.Entry]
    """Its stage records, oldest first."""

    def state(self) -> State:
        return _state(self.application, history.performers(self.entries))

    def attached(self, stage: str) -> frozenset[EvidenceKind]:
        """Evidence attached to ``stage`` ahead of its approval, since its last return."""
        return history.attached_since_reset(self.entries, stage)


@asynccontextmanager
async def step_session(env: Env) -> AsyncIterator[AsyncSession]:
    """Where a step reads its application and, if its write is one statement, writes.

    On PostgreSQL with ``env.autocommit``: a session of its own, outside ``env.session``'s
    transaction, so a step that writes nothing else costs no BEGIN and COMMIT. That is
    as safe as the transaction: under READ COMMITTED each statement reads its own
    snapshot either way, and the write is one statement guarded by the row version
    read here (every change to an application's history moves its row version).
    Otherwise ``env.session``.
    """
    if env.autocommit is None:
        yield env.session
        return
    async with env.autocommit() as session:
        if session.get_bind().dialect.name != "postgresql":
            yield env.session
        else:
            yield session


async def load_step(
    env: Env, principal: Principal, application_id: int, *, session: AsyncSession | None = None
) -> Step:
    """The application the principal can see (NotFound otherwise), its procedure, the
    policy version and its history, in one read (a second only for a procedure
    version this process has not parsed yet), from ``session`` (``env.session``)."""
    reads = session or env.session
    found = await app_repo.for_step(reads, application_id, scope=principal.read_scope())
    if found is None:
        raise NotFound("application", str(application_id))
    application = found.application
    procedure = _PARSED.get(found.digest)
    if procedure is None:
        procedure = snapshot(await app_repo.version(reads, application.procedure_version_id))
    flow = procedure.for_kind(application.subject_kind)
    return Step(application, procedure, flow, found.policy_version, found.history)


async def procedure_of(
    env: Env, application: ExitApplication
) -> tuple[Procedure, SubjectProcedure]:
    """The procedure the application started under, from its stored snapshot."""
    row = await app_repo.version(env.session, application.procedure_version_id)
    procedure = snapshot(row)
    return procedure, procedure.for_kind(application.subject_kind)


def snapshot(row: ProcedureVersion) -> Procedure:
    """The parsed procedure of a stored version, parsed once per process."""
    procedure = _PARSED.get(row.digest)
    if procedure is None:
        procedure = _PARSED[row.digest] = parse_procedure(row.definition, stored=True)
    return procedure


_PARSED: dict[str, Procedure] = {}
"""Parsed snapshots by digest; a digest's definition never changes, so this never goes stale."""


async def version_row(env: Env, procedure: Procedure) -> ProcedureVersion:
    row = await app_repo.version_by_digest(env.session, procedure.digest)
    if row is None:
        row = ProcedureVersion(
            code=procedure.code,
            version=procedure.version,
            digest=procedure.digest,
            definition=dict(procedure.raw),
            registered_at=env.now,
        )
        env.session.add(row)
        await flush_or_conflict(env)
    return row


async def current_state(env: Env, application: ExitApplication) -> State:
    return _state(application, await app_repo.performers(env.session, application.id))


def _state(application: ExitApplication, performers: Mapping[str, str]) -> State:
    return State(
        stage=application.stage,
        status=application.status,
        notice_started_at=application.notice_started_at,
        notice_ends_at=application.notice_ends_at,
        performers=performers,
    )


def apply_state(env: Env, application: ExitApplication, state: State) -> None:
    application.stage = state.stage
    application.status = state.status
    application.notice_started_at = state.notice_started_at
    application.notice_ends_at = state.notice_ends_at
    application.updated_at = env.now


async def record_action(
    env: Env,
    application: ExitApplication,
    principal: Principal,
    stage: str,
    action: str,
    evidence: Sequence[EvidenceInput],
    *,
    decision: Decision | None = None,
    return_to: str | None = None,
    reason: str | None = None,
    session: AsyncSession | None = None,
) -> None:
    """Write the stage record, its evidence and the ledger event with the application's
    pending changes (at once on PostgreSQL, else at the caller's flush), in ``session``
    (``env.session``)."""
    await check_cited_files(session or env.session, principal, evidence)
    written = await app_repo.write_step(
        session or env.session,
        application,
        record={
            "stage": stage,
            "action": action,
            "decision": decision,
            "return_to": return_to,
            "reason": reason,
            "actor_subject": principal.subject,
            "actor_role": str(principal.role),
            "actor_jurisdiction": principal.jurisdiction,
            "at": env.now,
        },
        evidence=[
            {"kind": item.kind, "reference": item.reference, "sha256": item.sha256}
            for item in evidence
        ],
        audit=ledger.event(
            actor=principal,
            action=action,
            object_kind="application",
            object_id=application.id,
            unit_code=application.unit_code,
            at=env.now,
            detail={
                "stage": stage,
                "decision": decision,
                "return_to": return_to,
                "reason": reason,
                "status": application.status.value,
            },
            evidence_hashes=[item.sha256 for item in evidence],
        ),
    )
    if not written:
        raise Conflict(STALE)


def check_evidence(evidence: Sequence[EvidenceInput]) -> None:
    for index, item in enumerate(evidence):
        path = ("evidence", str(index))
        if not item.reference.strip() or len(item.reference) > 500:
            raise ValidationFailed(
                "evidence names its document (1-500 characters)", path=(*path, "reference")
            )
        if not _SHA256.fullmatch(item.sha256):
            raise ValidationFailed("sha256 is 64 lower-case hex digits", path=(*path, "sha256"))
        cites_file = item.reference.startswith(evidence_files.REFERENCE_PREFIX)
        if cites_file and item.reference != evidence_files.reference_of(item.sha256):
            raise ValidationFailed(
                "a stored file is cited by its own sha256: tuopin:file:<sha256>",
                path=(*path, "reference"),
            )


async def check_cited_files(
    session: AsyncSession, principal: Principal, evidence: Sequence[EvidenceInput]
) -> None:
    """Evidence that cites a stored file (its reference is ``tuopin:file:<sha256>``) lets
    the application's readers download the file, so only someone who may read the file
    (its uploader, or a reader of an application already citing it) may cite it. Knowing
    a hash is not having the document. A query only where such a reference is given."""
    for index, item in enumerate(evidence):
        if item.reference != evidence_files.reference_of(item.sha256):
            continue
        readable = await file_repo.downloadable(
            session, item.sha256, scope=principal.read_scope(), subject=principal.subject
        )
        if readable is None:
            raise ValidationFailed(
                "no stored file you may read has this sha256: upload the document "
                "(uploadEvidenceFile) or cite it by hash with a reference of your own",
                path=("evidence", str(index), "reference"),
            )


async def flush_or_conflict(env: Env) -> None:
    """Flush, turning a lost race into Conflict."""
    try:
        await env.session.flush()
    except StaleDataError:
        raise Conflict(STALE) from None
    except IntegrityError as exc:
        meaning = unique_violation(exc)
        if meaning is not None:
            raise Conflict(meaning) from None
        raise
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower():
            raise Conflict("the database is busy with a concurrent change; retry") from None
        raise


async def application(env: Env, principal: Principal, application_id: int) -> ExitApplication:
    """One application the principal can see; NotFound otherwise."""
    found = await app_repo.get(env.session, application_id, scope=principal.read_scope())
    if found is None:
        raise NotFound("application", str(application_id))
    return found
