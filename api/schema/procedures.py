"""Exit applications as the API shows them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import strawberry
from strawberry import relay

from api.db.models import Evidence as EvidenceRow
from api.db.models import Objection as ObjectionRow
from api.db.models import StageRecord as RecordRow
from api.db.repositories import applications as app_repo
from api.db.repositories.notices import PERFORMING, POSTING
from api.db.views import ApplicationView, StageRecordView
from api.domain import evidence_files
from api.domain.engine import Status
from api.domain.notices import NoticeKey, posts_document
from api.domain.procedures import Decision, EvidenceKind, Procedure, Stage, SubjectProcedure
from api.domain.register import CountyDesignation, SubjectKind
from api.domain.roles import Role
from api.resolvers.context import VERSIONS, Context
from api.resolvers.ids import parse_id
from api.schema import node_loading
from api.schema.chain import ChainHead
from api.schema.details import AuditEvent
from api.schema.enums import NextAction
from api.schema.evidence_files import EvidenceFile
from api.services.exits import snapshot

T = TypeVar("T")

if TYPE_CHECKING:
    from api.schema.evaluations import CountyEvaluation
    from api.schema.notices import Notice
    from api.schema.types import Household

Info = strawberry.Info[Context, None]


@strawberry.type(description="One stage of a procedure.")
class StageInfo:
    code: str
    zh: str
    en: str
    notice_days: int | None
    required_evidence: list[EvidenceKind] = strawberry.field(
        description="Evidence the stage needs; a notice's posting is given when it is posted."
    )

    @classmethod
    def of(cls, stage: Stage) -> StageInfo:
        return cls(
            code=stage.code,
            zh=stage.zh,
            en=stage.en,
            notice_days=stage.notice_days,
            required_evidence=list(stage.evidence),
        )


@strawberry.type(description="Who may act next on an application, and when.")
class NextStep:
    stage: StageInfo
    action: NextAction
    roles: list[Role]
    not_before: datetime | None = strawberry.field(
        description="The end of the running notice; approval waits until then."
    )


@strawberry.type(description="An action on an application: who, when, what.")
class StageRecord(relay.Node):
    id: relay.NodeID[int]
    stage: str
    action: str
    decision: Decision | None
    return_to: str | None
    reason: str | None
    actor: str
    actor_role: str
    actor_jurisdiction: str
    at: datetime

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[StageRecord | None]:
        return await node_loading.resolve(info, RecordRow, node_ids, cls.of)

    @classmethod
    def of(cls, row: StageRecordView) -> StageRecord:
        # An inbox builds about a hundred of these, from named tuples on PostgreSQL
        # (api/db/direct.py), whose attributes read at C speed.
        return cls(
            id=row.id,
            stage=row.stage,
            action=row.action,
            decision=row.decision,
            return_to=row.return_to,
            reason=row.reason,
            actor=row.actor_subject,
            actor_role=row.actor_role,
            actor_jurisdiction=row.actor_jurisdiction,
            at=row.at,
        )


@strawberry.type(description="A document backing an action, identified by its SHA-256.")
class EvidenceItem:
    kind: EvidenceKind
    reference: str
    sha256: str

    @strawberry.field(
        description="The stored file this evidence cites (its reference is "
        "tuopin:file:<sha256>, see uploadEvidenceFile); null for evidence given by hash only."
    )
    async def file(self, info: Info) -> EvidenceFile | None:
        if self.reference != evidence_files.reference_of(self.sha256):
            return None  # given by hash only, whatever file may have the same bytes
        row = await info.context.loaders.details.evidence_file.load(self.sha256)
        return None if row is None else EvidenceFile.of(row)

    @classmethod
    def of(cls, row: EvidenceRow) -> EvidenceItem:
        return cls(kind=row.kind, reference=row.reference, sha256=row.sha256)


@strawberry.type(description="异议: raised during a notice, resolved with a record.")
class Objection(relay.Node):
    id: relay.NodeID[int]
    stage: str
    content: str
    raised_at: datetime
    outcome: str | None
    resolution: str | None
    resolved_at: datetime | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Objection | None]:
        """Objections of applications the viewer can see."""
        wanted = [parse_id(n) for n in node_ids]
        ids = [n for n in wanted if n is not None]
        rows = await info.context.read(
            lambda s: app_repo.visible_objections(s, ids, scope=info.context.scope)
        )
        found = {row.id: cls.of(row) for row in rows}
        return [None if n is None else found.get(n) for n in wanted]

    @classmethod
    def of(cls, row: ObjectionRow) -> Objection:
        return cls(
            id=row.id,
            stage=row.stage,
            content=row.content,
            raised_at=row.raised_at,
            outcome=row.outcome,
            resolution=row.resolution,
            resolved_at=row.resolved_at,
        )


@strawberry.type(description="退出申请: one subject's way through its procedure.")
class ExitApplication(relay.Node):
    id: relay.NodeID[int]
    subject_kind: SubjectKind
    subject_key: str = strawberry.field(
        description="Registry number of a household; division code of a village or county."
    )
    unit_code: str
    year: int
    status: Status
    designation: CountyDesignation | None
    notice_started_at: datetime | None
    notice_ends_at: datetime | None
    created_at: datetime
    updated_at: datetime
    stage_code: strawberry.Private[str]
    version_id: strawberry.Private[int]
    list_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: ApplicationView) -> ExitApplication:
        return cls(
            id=row.id,
            subject_kind=row.subject_kind,
            subject_key=row.subject_key,
            unit_code=row.unit_code,
            year=row.year,
            status=row.status,
            designation=row.designation,
            notice_started_at=row.notice_started_at,
            notice_ends_at=row.notice_ends_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            stage_code=row.stage,
            version_id=row.procedure_version_id,
            list_id=row.list_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ExitApplication | None]:
        wanted = [parse_id(n) for n in node_ids]
        ids = [n for n in wanted if n is not None]
        rows = await info.context.loaders.application.by_id.load_many(ids)
        found = {row.id: cls.of(row) for row in rows if row is not None}
        return [None if n is None else found.get(n) for n in wanted]

    async def _flow(self, info: Info) -> tuple[Procedure, SubjectProcedure]:
        row = await info.context.loaders.application.version.load(self.version_id)
        assert row is not None
        procedure = snapshot(row)
        return procedure, procedure.for_kind(self.subject_kind)

    def _answer(self, info: Info, answer: Callable[[Procedure, SubjectProcedure], T]) -> T:
        """``answer`` from the procedure: at once when the version is cached for the
        process (a list prefetches it), else through the loader; graphql-core awaits
        what a plain resolver returns, so cached rows cost no task each."""
        row = VERSIONS.get(self.version_id)
        if row is not None:
            procedure = snapshot(row)
            return answer(procedure, procedure.for_kind(self.subject_kind))

        async def later() -> T:
            procedure, flow = await self._flow(info)
            return answer(procedure, flow)

        return cast("T", later())

    @strawberry.field(description="The procedure and version this application follows.")
    def procedure(self, info: Info) -> str:
        return self._answer(info, lambda procedure, _: f"{procedure.code} v{procedure.version}")

    @strawberry.field(description="The stage the application waits at (or ended at).")
    def current_stage(self, info: Info) -> StageInfo:
        return self._answer(
            info, lambda _, flow: StageInfo.of(flow.stages[flow.index_of(self.stage_code)])
        )

    @strawberry.field(description="Every stage of its procedure, in order.")
    def stages(self, info: Info) -> list[StageInfo]:
        return self._answer(info, lambda _, flow: [StageInfo.of(s) for s in flow.stages])

    @strawberry.field(description="Who may act next; null once the application has ended.")
    def next_step(self, info: Info) -> NextStep | None:
        return self._answer(info, lambda _, flow: self._next_step(flow))

    def _next_step(self, flow: SubjectProcedure) -> NextStep | None:
        stage = flow.stages[flow.index_of(self.stage_code)]
        info_ = StageInfo.of(stage)
        roles = list(stage.roles_for(self.designation))
        if self.status is Status.OBJECTED:
            return NextStep(
                stage=info_, action=NextAction.RESOLVE_OBJECTION, roles=roles, not_before=None
            )
        if self.status is not Status.IN_PROGRESS:
            return None
        if stage.is_notice and self.notice_started_at is None:
            return NextStep(
                stage=info_, action=NextAction.POST_NOTICE, roles=roles, not_before=None
            )
        return NextStep(
            stage=info_, action=NextAction.PERFORM, roles=roles, not_before=self.notice_ends_at
        )

    @strawberry.field(description="The household, for a household's application; else null.")
    def household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("api.schema.types")] | None:
        if self.subject_kind is not SubjectKind.HOUSEHOLD:
            return None
        from api.schema.types import Household as HouseholdType

        prefetched = info.context.prefetched_households
        if self.subject_key in prefetched:
            row = prefetched[self.subject_key]
            return None if row is None else HouseholdType.of(row)

        async def later() -> HouseholdType | None:
            row = await info.context.loaders.household.by_registry_no.load(self.subject_key)
            return None if row is None else HouseholdType.of(row)

        return cast("Household | None", later())

    @strawberry.field(description="Every action taken, oldest first.")
    def history(self, info: Info) -> list[StageRecord]:
        prefetched = info.context.prefetched_records.get(self.id)
        if prefetched is not None:
            return [StageRecord.of(r) for r in prefetched]

        async def later() -> list[StageRecord]:
            rows = await info.context.loaders.application.records.load(self.id)
            return [StageRecord.of(r) for r in rows]

        return cast("list[StageRecord]", later())

    @strawberry.field(
        description="The notices (公示/公告) it was posted on, oldest first, each with its "
        "whole list; those of units outside your jurisdiction only while on the board."
    )
    async def notices(
        self, info: Info
    ) -> list[Annotated[Notice, strawberry.lazy("api.schema.notices")]]:
        from api.schema.notices import notices_of

        records = info.context.prefetched_records.get(self.id)
        if records is None:
            records = await info.context.loaders.application.records.load(self.id)
        _, flow = await self._flow(info)
        on_approval = {s.code for s in flow.stages if posts_document(s) and not s.is_notice}
        keys = [
            NoticeKey.of(self.list_id, r.stage, r.at)
            for r in records
            if r.action == POSTING
            or (
                r.stage in on_approval and r.action == PERFORMING and r.decision == Decision.APPROVE
            )
        ]
        return await notices_of(info, keys)

    @strawberry.field
    async def objections(self, info: Info) -> list[Objection]:
        rows = await info.context.loaders.application.objections.load(self.id)
        return [Objection.of(r) for r in rows]

    @strawberry.field(description="The ledger entries for this application, oldest first.")
    async def audit_trail(self, info: Info) -> list[AuditEvent]:
        rows = await info.context.loaders.details.audit.load(self.id)
        return [AuditEvent.of(r) for r in rows]

    @strawberry.field(
        description="Its newest entry in the decision ledger, to cite; null before any."
    )
    async def chain_head(self, info: Info) -> ChainHead | None:
        head = await info.context.loaders.details.chain_head.load(self.id)
        return None if head is None else ChainHead.of(head)

    @strawberry.field
    async def evidence(self, info: Info) -> list[EvidenceItem]:
        rows = await info.context.loaders.application.evidence.load(self.id)
        return [EvidenceItem.of(r) for r in rows]

    @strawberry.field(
        description="Third-party evaluations (三率一度) of a county's application, one per "
        "assigned evaluator in the order assigned (an evaluator sees only its own); empty "
        "for households and villages."
    )
    async def evaluations(
        self, info: Info
    ) -> list[Annotated[CountyEvaluation, strawberry.lazy("api.schema.evaluations")]]:
        if self.subject_kind is not SubjectKind.COUNTY:
            return []
        from api.schema.evaluations import CountyEvaluation as EvaluationType

        found = await info.context.loaders.application.evaluations.load((self.id, self.subject_key))
        viewer = info.context.principal
        if viewer is not None and viewer.role is Role.THIRD_PARTY_EVALUATOR:
            found = [e for e in found if e.assignment.evaluator == viewer.subject]
        return [EvaluationType.of(e) for e in found]


@strawberry.type(description="A list proposed together; each subject has its own application.")
class ExitList:
    id: int
    applications: list[ExitApplication]
