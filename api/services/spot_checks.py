"""Spot checks (抽查): draw a reproducible sample, record the findings, and send a failed
subject back to verification.

A draw records its frame (every candidate subject, with the application it is checked
through), the seed, the size and the method; ``api.domain.spot_checks.draw`` re-draws the
sample from that record. Two frames exist:

- ``exited``: subjects that exited in a year through an application here. Households
  imported as exited have no procedure here to send them back through, so they are
  not in it.
- ``awaiting_review``: applications waiting at a stage that needs a spot check
  (兰山 镇街抽查审核: the town samples the list the village reported to it). Approving
  that stage cites a complete spot check covering the application (``covering_record``).

A failed finding sends the subject's application back to its procedure's
``spot_check_returns_to`` stage (``engine.send_back``). For a subject that had exited
this is a revocation, not a return to poverty (返贫): the exit is found wrong (错退), so
the same application reopens, the exit's effects are undone (the household is registered
poor again; the village's exit mark is lifted) and the national system is told
(``exit_revoked``). The subject exits again only by passing the remaining stages once more.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.authz.enforcer import Authorizer
from api.authz.policy import Action
from api.db import chain, chain_facts
from api.db.models import ExitApplication, Household, Jurisdiction, SpotCheck, SpotCheckSubject
from api.db.repositories import applications as app_repo
from api.db.repositories import spot_checks as repo
from api.domain import engine, history
from api.domain import spot_checks as domain
from api.domain.jurisdictions import validate_code
from api.domain.procedures import Decision, EvidenceKind, Stage
from api.domain.register import EXITED, SubjectKind
from api.domain.roles import Principal
from api.domain.spot_checks import Basis, Result
from api.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from api.services import access, ledger
from api.services.effects import revoke_effects
from api.services.workflow import (
    Env,
    EvidenceInput,
    Step,
    apply_state,
    check_evidence,
    china_today,
    current_state,
    flush_or_conflict,
    procedure_of,
    record_action,
    snapshot,
)

OBJECT = "spot_checks"


@dataclass(frozen=True, slots=True)
class Document:
    reference: str
    sha256: str


@dataclass(frozen=True, slots=True)
class FindingInput:
    subject_key: str
    result: Result
    failed_criteria: Sequence[str]
    evidence: Sequence[Document]
    note: str | None = None


async def draw(
    env: Env,
    principal: Principal,
    *,
    kind: SubjectKind,
    basis: Basis,
    unit_code: str,
    year: int,
    count: int | None = None,
    share: Decimal | None = None,
    seed: str | None = None,
) -> SpotCheck:
    """Draw and record a sample of the subjects of ``kind`` under ``unit_code``."""
    if kind not in domain.SUBJECT_KINDS:
        raise ValidationFailed("spot checks sample households or villages", path=("subjectKind",))
    validate_code(unit_code)
    if not principal.read_scope().covers(unit_code) or not await env.session.get(
        Jurisdiction, unit_code
    ):
        raise NotFound("jurisdiction", unit_code)
    await access.authorize(
        env.session, env.authorizer, principal, domain=unit_code, obj=OBJECT, action=Action.DRAW
    )
    if not 2000 <= year <= china_today(env.now).year:
        raise ValidationFailed("year is a past or the current year", path=("year",))
    seed = secrets.token_hex(16) if seed is None else seed
    domain.check_seed(seed)
    candidates = await _frame(env, principal, kind=kind, basis=basis, unit=unit_code, year=year)
    frame = domain.canonical_frame(c.subject_key for c in candidates)
    size = domain.sample_size(len(frame), count=count, share=share)
    sample = {key: rank for rank, key in enumerate(domain.draw(frame, seed=seed, size=size), 1)}
    spot_check = SpotCheck(
        subject_kind=kind,
        basis=basis,
        unit_code=unit_code,
        year=year,
        method=domain.METHOD,
        seed=seed,
        requested_count=count,
        requested_share=None if share is None else str(share),
        size=size,
        frame_size=len(frame),
        frame_sha256=domain.frame_sha256(frame),
        drawn_by=principal.subject,
        drawn_role=str(principal.role),
        drawn_jurisdiction=principal.jurisdiction,
        drawn_at=env.now,
    )
    env.session.add(spot_check)
    await flush_or_conflict(env)
    subjects = [
        {
            "spot_check_id": spot_check.id,
            "subject_key": c.subject_key,
            "application_id": c.application_id,
            "unit_code": c.unit_code,
            "sample_rank": sample.get(c.subject_key),
        }
        for c in candidates
    ]
    await repo.add_subjects(env.session, subjects)
    chain.note(
        env.session,
        lambda: chain.Fact(
            "spot_check", spot_check.id, None, chain_facts.spot_check(spot_check, subjects)
        ),
    )
    await ledger.append(
        env.session,
        actor=principal,
        action="draw_spot_check",
        object_kind="spot_check",
        object_id=spot_check.id,
        unit_code=unit_code,
        at=env.now,
        detail={
            "subject_kind": kind.value,
            "basis": basis.value,
            "year": year,
            "method": domain.METHOD,
            "seed": seed,
            "size": size,
            "frame_size": len(frame),
            "frame_sha256": spot_check.frame_sha256,
            "sample": list(sample),
        },
    )
    return spot_check


async def _frame(
    env: Env, principal: Principal, *, kind: SubjectKind, basis: Basis, unit: str, year: int
) -> list[repo.Candidate]:
    limit = domain.MAX_FRAME + 1
    scope = principal.read_scope()
    if basis is Basis.EXITED:
        found = await repo.exited(
            env.session, kind=kind, unit=unit, year=year, scope=scope, limit=limit
        )
    else:
        # Only versions that can send a subject back: the check below then holds.
        stages = [
            (row.id, stage.code)
            for row in await repo.versions(env.session)
            if (flow := snapshot(row).subjects.get(kind)) is not None
            and flow.spot_check_returns_to is not None
            for stage in flow.stages
            if stage.needs_spot_check
        ]
        found = await repo.awaiting(
            env.session, kind=kind, unit=unit, year=year, scope=scope, stages=stages, limit=limit
        )
    if len(found) > domain.MAX_FRAME:
        raise ValidationFailed(
            f"the frame holds more than {domain.MAX_FRAME:,} subjects: draw unit by unit",
            path=("unitCode",),
        )
    if not found:
        raise ValidationFailed(
            f"no {kind} under {unit} is {basis} in {year}: the frame is empty", path=("unitCode",)
        )
    if basis is not Basis.EXITED:
        return found
    ids = sorted({c.procedure_version_id for c in found})
    versions = await app_repo.versions_by_id(env.session, ids)
    for version_id in ids:
        procedure = snapshot(versions[version_id])
        if procedure.for_kind(kind).spot_check_returns_to is None:
            raise InvalidTransition(
                f"procedure {procedure.code} v{procedure.version} names no "
                f"spot_check_returns_to for {kind}: a failed check could not send them back"
            )
    return found


async def record_findings(
    env: Env, principal: Principal, *, spot_check_id: int, findings: Sequence[FindingInput]
) -> SpotCheck:
    """Record the findings of sampled subjects; each failure sends its subject back."""
    spot_check = await repo.get(env.session, spot_check_id, scope=principal.read_scope())
    if spot_check is None:
        raise NotFound("spot check", str(spot_check_id))
    await access.authorize(
        env.session,
        env.authorizer,
        principal,
        domain=spot_check.unit_code,
        obj=OBJECT,
        action=Action.RECORD,
    )
    if not findings:
        raise ValidationFailed("record at least one finding", path=("findings",))
    sampled = {
        row.subject_key: row
        for row in (await repo.sampled(env.session, [spot_check.id]))[spot_check.id]
    }
    seen: set[str] = set()
    checked: list[tuple[SpotCheckSubject, FindingInput, tuple[str, ...]]] = []
    for index, finding in enumerate(findings):
        path = ("findings", str(index))
        row = sampled.get(finding.subject_key)
        if row is None or finding.subject_key in seen:
            raise ValidationFailed(
                f"{finding.subject_key!r} is not a sampled subject of spot check {spot_check.id}"
                " (or is named twice)",
                path=(*path, "subjectKey"),
            )
        seen.add(finding.subject_key)
        if row.result is not None:
            raise InvalidTransition(f"the finding for {finding.subject_key} is recorded already")
        try:
            criteria = domain.check_finding(
                spot_check.subject_kind, finding.result, finding.failed_criteria
            )
            if not finding.evidence:
                raise ValidationFailed("a finding cites its evidence", path=("evidence",))
            check_evidence(_evidence(finding))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, path=(*path, *exc.path)) from None
        if finding.note is not None and len(finding.note) > 2000:
            raise ValidationFailed("a note is at most 2,000 characters", path=(*path, "note"))
        checked.append((row, finding, criteria))
    for row, finding, criteria in checked:
        await _record(env, principal, spot_check, row, finding, criteria)
    await flush_or_conflict(env)
    await ledger.append(
        env.session,
        actor=principal,
        action="record_spot_check_findings",
        object_kind="spot_check",
        object_id=spot_check.id,
        unit_code=spot_check.unit_code,
        at=env.now,
        detail={
            "findings": [
                {
                    "subject": row.subject_key,
                    "result": finding.result.value,
                    "failed_criteria": list(criteria),
                }
                for row, finding, criteria in checked
            ]
        },
        evidence_hashes=[d.sha256 for _, finding, _ in checked for d in finding.evidence],
    )
    return spot_check


async def _record(
    env: Env,
    principal: Principal,
    spot_check: SpotCheck,
    row: SpotCheckSubject,
    finding: FindingInput,
    criteria: tuple[str, ...],
) -> None:
    application = await env.session.get(ExitApplication, row.application_id)
    assert application is not None
    returned_to = None
    stage = application.stage
    reason = f"spot check {spot_check.id}: {finding.result}"
    if criteria:
        reason += f" ({', '.join(criteria)})"
    if finding.note:
        reason += f"; {finding.note}"
    if finding.result is Result.FAILED:
        returned_to = await _send_back(env, spot_check, application, criteria)
    values = {
        "result": finding.result,
        "failed_criteria": list(criteria),
        "note": finding.note,
        "evidence": [{"reference": d.reference, "sha256": d.sha256} for d in finding.evidence],
        "returned_to": returned_to,
        "recorded_by": principal.subject,
        "recorded_role": str(principal.role),
        "recorded_at": env.now,
    }
    written = await repo.record_finding(env.session, row.id, values=values)
    if not written:
        raise Conflict(f"the finding for {row.subject_key} was recorded by someone else")
    finding_content = chain_facts.pick(row, chain_facts.FINDING[:3]) | values
    chain.note(
        env.session,
        lambda: chain.Fact("spot_check_finding", row.id, row.application_id, finding_content),
    )
    await record_action(
        env,
        application,
        principal,
        stage,
        "spot_check",
        _evidence(finding),
        decision=Decision.RETURN if returned_to else None,
        return_to=returned_to,
        reason=reason,
    )


async def _send_back(
    env: Env, spot_check: SpotCheck, application: ExitApplication, criteria: tuple[str, ...]
) -> str | None:
    """Send a failed subject's application back; the stage it went to, or None if it stays
    (it ended without an exit, awaits an objection's resolution, is being verified
    already, or the household has since returned to poverty and is registered again)."""
    _, flow = await procedure_of(env, application)
    target = flow.spot_check_returns_to
    assert target is not None  # checked when the frame was drawn
    if application.household_id is not None and application.status is engine.Status.EXITED:
        household = await env.session.get(Household, application.household_id)
        assert household is not None
        if household.exit_attribute not in EXITED:
            return None
    sent = engine.send_back(flow, await current_state(env, application), to=target)
    if sent is None:
        return None
    apply_state(env, application, sent.state)
    if sent.revoked:
        await revoke_effects(
            env,
            application,
            sent.revoked,
            cause={
                "spotCheckId": spot_check.id,
                "failedCriteria": list(criteria),
                "returnedTo": target,
            },
        )
    return target


def _evidence(finding: FindingInput) -> list[EvidenceInput]:
    return [
        EvidenceInput(EvidenceKind.SPOT_CHECK_RECORD, d.reference, d.sha256)
        for d in finding.evidence
    ]


async def covering_record(session: AsyncSession, step: Step, stage: Stage) -> EvidenceInput:
    """The spot check an approval of ``stage`` cites: complete, its frame holding the
    application, drawn by one of the stage's roles since the application arrived at the
    stage. InvalidTransition when there is none."""
    application = step.application
    roles = [str(r) for r in stage.roles_for(application.designation)]
    found = await repo.covering(
        session, application.id, roles=roles, since=history.entered_at(step.entries)
    )
    if found is None:
        raise InvalidTransition(
            f"stage {stage.code} needs a spot check covering this application, drawn by "
            f"{' or '.join(roles)} since it arrived here, with every sampled subject's "
            "finding recorded (drawSpotCheck, then recordSpotCheckFindings)"
        )
    sample = (await repo.sampled(session, [found.id]))[found.id]
    return EvidenceInput(
        EvidenceKind.SPOT_CHECK_RECORD,
        f"spot check {found.id} ({found.method}, seed {found.seed})",
        record_sha256(found, sample),
    )


def record_of(spot_check: SpotCheck, sample: Sequence[SpotCheckSubject]) -> dict[str, Any]:
    """The spot check's record as its hash covers it: the frame by its hash, the draw,
    and each sampled subject's finding with its evidence hashes."""
    return {
        "id": spot_check.id,
        "subjectKind": spot_check.subject_kind.value,
        "basis": spot_check.basis.value,
        "unitCode": spot_check.unit_code,
        "year": spot_check.year,
        "method": spot_check.method,
        "seed": spot_check.seed,
        "size": spot_check.size,
        "frameSize": spot_check.frame_size,
        "frameSha256": spot_check.frame_sha256,
        "sample": [
            {
                "subjectKey": row.subject_key,
                "rank": row.sample_rank,
                "result": None if row.result is None else row.result.value,
                "failedCriteria": row.failed_criteria,
                "evidence": [item["sha256"] for item in row.evidence or []],
            }
            for row in sample
        ],
    }


def record_sha256(spot_check: SpotCheck, sample: Sequence[SpotCheckSubject]) -> str:
    return domain.record_sha256(record_of(spot_check, sample))


async def samples(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[SpotCheckSubject]]:
    """The sampled subjects of spot checks already read within scope, rank order."""
    return await repo.sampled(session, ids)


async def frames(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    """The frames of spot checks already read within scope, canonical order."""
    return await repo.frames(session, ids)


async def visible(
    session: AsyncSession,
    authorizer: Authorizer,
    principal: Principal,
    *,
    under: str | None,
    after: int | None,
    first: int,
) -> list[SpotCheck]:
    """Spot checks in the principal's jurisdiction, for the roles that read them."""
    await access.authorize_reading(session, authorizer, principal, OBJECT)
    if under is not None:
        validate_code(under)
    return await repo.page(
        session, scope=principal.read_scope(), under=under, after=after, first=first
    )
