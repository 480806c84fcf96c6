"""Spot checks (抽查) over GraphQL: draw a sample, record findings, read the records."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.db.models import SpotCheck as SpotCheckRow
from api.db.models import SpotCheckSubject as SubjectRow
from api.domain.register import SubjectKind
from api.domain.spot_checks import Basis, Result
from api.errors import ValidationFailed
from api.resolvers import cursors
from api.resolvers.context import Context
from api.schema.enums import labelled
from api.schema.errors import AnyError
from api.schema.pagination import PageInfo
from api.schema.running import KEY, run
from api.services import spot_checks
from api.services.workflow import Env

Info = strawberry.Info[Context, None]
MAX_PAGE = 50

labelled(
    Basis,
    {Basis.EXITED: "已退出", Basis.AWAITING_REVIEW: "待抽查审核"},
    description="抽查范围",
    en="Spot-check frame",
)
labelled(
    Result,
    {Result.PASSED: "抽查合格", Result.FAILED: "抽查不合格"},
    description="抽查结论",
    en="Spot-check result",
)


@strawberry.type(description="A document a finding cites: where it is kept and its SHA-256.")
class SpotCheckDocument:
    reference: str
    sha256: str


@strawberry.type(description="What the official found for one sampled subject.")
class SpotCheckFinding:
    result: Result
    failed_criteria: list[str]
    note: str | None
    evidence: list[SpotCheckDocument]
    returned_to: str | None = strawberry.field(
        description="The stage a failure sent the application back to; null if it stayed."
    )
    recorded_by: str
    recorded_role: str
    recorded_at: datetime


@strawberry.type(
    description="A sampled subject, in the order drawn, and its finding once recorded."
)
class SampledSubject:
    subject_key: str = strawberry.field(description="Registry number or village code.")
    rank: int = strawberry.field(description="1: drawn first (lowest HMAC-SHA256).")
    unit_code: str
    application_id: relay.GlobalID = strawberry.field(
        description="The application the subject is checked through."
    )
    finding: SpotCheckFinding | None

    @classmethod
    def of(cls, row: SubjectRow) -> SampledSubject:
        finding = None
        if row.result is not None:
            finding = SpotCheckFinding(
                result=row.result,
                failed_criteria=list(row.failed_criteria or []),
                note=row.note,
                evidence=[
                    SpotCheckDocument(reference=e["reference"], sha256=e["sha256"])
                    for e in row.evidence or []
                ],
                returned_to=row.returned_to,
                recorded_by=row.recorded_by or "",
                recorded_role=row.recorded_role or "",
                recorded_at=row.recorded_at,  # type: ignore[arg-type]
            )
        return cls(
            subject_key=row.subject_key,
            rank=row.sample_rank or 0,
            unit_code=row.unit_code,
            application_id=relay.GlobalID("ExitApplication", str(row.application_id)),
            finding=finding,
        )


@strawberry.type(
    description="抽查: a reproducible random sample. Re-draw it from frame, seed and size: "
    "rank each frame key by hex(HMAC-SHA256(key=seed, msg=subject key)), UTF-8, ascending, "
    "and take the first `size`."
)
class SpotCheck:
    id: int
    subject_kind: SubjectKind
    basis: Basis
    unit_code: str = strawberry.field(description="The unit whose subjects make the frame.")
    year: int = strawberry.field(description="The exit year, or the applications' year.")
    method: str
    seed: str
    requested_count: int | None
    requested_share: Decimal | None
    size: int
    frame_size: int
    frame_sha256: str = strawberry.field(
        description="SHA-256 of the frame's keys, sorted, joined by newlines (UTF-8)."
    )
    drawn_by: str
    drawn_role: str
    drawn_at: datetime
    sample: list[SampledSubject]
    complete: bool = strawberry.field(description="Every sampled subject's finding is recorded.")
    record_sha256: str = strawberry.field(
        description="SHA-256 of the record an approval cites as its spot_check_record."
    )

    @classmethod
    def of(cls, row: SpotCheckRow, sample: list[SubjectRow]) -> SpotCheck:
        return cls(
            id=row.id,
            subject_kind=row.subject_kind,
            basis=row.basis,
            unit_code=row.unit_code,
            year=row.year,
            method=row.method,
            seed=row.seed,
            requested_count=row.requested_count,
            requested_share=None if row.requested_share is None else Decimal(row.requested_share),
            size=row.size,
            frame_size=row.frame_size,
            frame_sha256=row.frame_sha256,
            drawn_by=row.drawn_by,
            drawn_role=row.drawn_role,
            drawn_at=row.drawn_at,
            sample=[SampledSubject.of(s) for s in sample],
            complete=all(s.result is not None for s in sample),
            record_sha256=spot_checks.record_sha256(row, sample),
        )

    @strawberry.field(description="The frame as drawn: every candidate's key, sorted.")
    async def frame(self, info: Info) -> list[str]:
        return await info.context.loaders.spot_check_frame.load(self.id)


@strawberry.type
class SpotCheckPage:
    spot_checks: list[SpotCheck]
    page_info: PageInfo


@strawberry.type
class SpotCheckSuccess:
    spot_check: SpotCheck


SpotCheckPayload = Annotated[SpotCheckSuccess | AnyError, strawberry.union("SpotCheckPayload")]


@strawberry.input
class DrawSpotCheckInput:
    subject_kind: SubjectKind = strawberry.field(description="HOUSEHOLD or VILLAGE.")
    unit_code: str = strawberry.field(description="A unit in your jurisdiction.")
    year: int
    basis: Basis = Basis.EXITED
    count: int | None = strawberry.field(default=None, description="How many to draw.")
    share: Decimal | None = strawberry.field(
        default=None, description="Or which share of the frame (rounded up), 0 < share <= 1."
    )
    seed: str | None = strawberry.field(
        default=None, description="Yours (e.g. a public lottery's numbers), or generated."
    )


@strawberry.input(description="A document backing a finding.")
class DocumentInput:
    reference: str
    sha256: str = strawberry.field(description="64 lower-case hex digits.")


@strawberry.input
class SpotCheckFindingInput:
    subject_key: str
    result: Result
    evidence: list[DocumentInput]
    failed_criteria: list[str] = strawberry.field(
        default_factory=list,
        description="For a failure: the criteria failed (income, safe_housing, procedure, ...).",
    )
    note: str | None = None


@strawberry.input
class RecordSpotCheckFindingsInput:
    spot_check_id: int
    findings: list[SpotCheckFindingInput]


async def _with_sample(env: Env, row: SpotCheckRow) -> tuple[SpotCheckRow, list[SubjectRow]]:
    sample = (await spot_checks.samples(env.session, [row.id]))[row.id]
    return row, sample


def _success(done: tuple[SpotCheckRow, list[SubjectRow]]) -> SpotCheckSuccess:
    return SpotCheckSuccess(spot_check=SpotCheck.of(*done))


@strawberry.type
class SpotCheckMutations:
    @strawberry.mutation(description="Draw and record a reproducible sample (抽查).")
    async def draw_spot_check(
        self,
        info: Info,
        input: DrawSpotCheckInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> SpotCheckPayload:
        async def work(env: Env, who: Any) -> tuple[SpotCheckRow, list[SubjectRow]]:
            row = await spot_checks.draw(
                env,
                who,
                kind=input.subject_kind,
                basis=input.basis,
                unit_code=input.unit_code,
                year=input.year,
                count=input.count,
                share=input.share,
                seed=input.seed,
            )
            return await _with_sample(env, row)

        return await run(  # type: ignore[return-value]
            info, work, _success, name="drawSpotCheck", key=idempotency_key, request=input
        )

    @strawberry.mutation(
        description="Record findings of sampled subjects; a failure sends its subject back."
    )
    async def record_spot_check_findings(
        self,
        info: Info,
        input: RecordSpotCheckFindingsInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> SpotCheckPayload:
        findings = [
            spot_checks.FindingInput(
                subject_key=f.subject_key,
                result=f.result,
                failed_criteria=f.failed_criteria,
                evidence=[spot_checks.Document(d.reference, d.sha256) for d in f.evidence],
                note=f.note,
            )
            for f in input.findings
        ]

        async def work(env: Env, who: Any) -> tuple[SpotCheckRow, list[SubjectRow]]:
            row = await spot_checks.record_findings(
                env, who, spot_check_id=input.spot_check_id, findings=findings
            )
            return await _with_sample(env, row)

        return await run(  # type: ignore[return-value]
            info,
            work,
            _success,
            name="recordSpotCheckFindings",
            key=idempotency_key,
            request=input,
        )


async def page(info: Info, *, under: str | None, first: int, after: str | None) -> SpotCheckPage:
    """Spot checks in the viewer's jurisdiction, newest first."""
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}", path=("first",))
    principal = info.context.principal
    if principal is None:
        return SpotCheckPage(
            spot_checks=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
        )
    position = None if after is None else cursors.decode_id(after)
    authorizer = info.context.authorizer

    async def work(session: Any) -> tuple[list[SpotCheckRow], dict[int, list[SubjectRow]]]:
        rows = await spot_checks.visible(
            session, authorizer, principal, under=under, after=position, first=first
        )
        return rows, await spot_checks.samples(session, [r.id for r in rows[:first]])

    rows, samples = await info.context.read(work)
    shown = [SpotCheck.of(row, samples[row.id]) for row in rows[:first]]
    end = cursors.encode(shown[-1].id) if shown else None
    return SpotCheckPage(
        spot_checks=shown,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=end,
            has_previous_page=after is not None,
            start_cursor=cursors.encode(shown[0].id) if shown else None,
        ),
    )
