"""Register details, designations, standards, plans and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.db.models import Assessment as AssessmentRow
from api.db.models import AuditEvent as AuditRow
from api.db.models import CountyDesignationRow, VillageDesignationRow
from api.db.models import ExitPlan as PlanRow
from api.db.models import IncomeRecord as IncomeRow
from api.db.models import PovertyStandard as StandardRow
from api.domain.register import (
    CountyDesignation,
    HousingGrade,
    IncomeKind,
    RegionClass,
    StandardKind,
    SubjectKind,
    VillageDesignation,
)
from api.resolvers.context import Context
from api.schema import node_loading

Info = strawberry.Info[Context, None]


@strawberry.type(description="One line of a household's yearly accounts (costs are COST lines).")
class IncomeRecord(relay.Node):
    id: relay.NodeID[int]
    year: int
    kind: IncomeKind
    amount: Decimal
    note: str | None
    recorded_at: datetime

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[IncomeRecord | None]:
        return await node_loading.resolve(info, IncomeRow, node_ids, cls.of)

    @classmethod
    def of(cls, row: IncomeRow) -> IncomeRecord:
        return cls(
            id=row.id,
            year=row.year,
            kind=row.kind,
            amount=row.amount,
            note=row.note,
            recorded_at=row.recorded_at,
        )


@strawberry.type(description="两不愁三保障 assessment, with who assessed and the evidence.")
class Assessment(relay.Node):
    id: relay.NodeID[int]
    year: int
    assessed_on: date
    housing_grade: HousingGrade
    food_and_clothing_assured: bool
    compulsory_education_assured: bool
    medical_insurance_enrolled: bool
    drinking_water_safe: bool
    assessor_name: str
    assessor_role: str
    evidence: str

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Assessment | None]:
        return await node_loading.resolve(info, AssessmentRow, node_ids, cls.of)

    @classmethod
    def of(cls, row: AssessmentRow) -> Assessment:
        return cls(
            id=row.id,
            year=row.year,
            assessed_on=row.assessed_on,
            housing_grade=row.housing_grade,
            food_and_clothing_assured=row.food_and_clothing_assured,
            compulsory_education_assured=row.compulsory_education_assured,
            medical_insurance_enrolled=row.medical_insurance_enrolled,
            drinking_water_safe=row.drinking_water_safe,
            assessor_name=row.assessor_name,
            assessor_role=row.assessor_role,
            evidence=row.evidence,
        )


@strawberry.type(description="贫困村 / 扶贫工作重点村 designation and exit mark.")
class PoorVillage:
    designation: VillageDesignation
    designated_year: int
    exited_on: date | None

    @classmethod
    def of(cls, row: VillageDesignationRow) -> PoorVillage:
        return cls(
            designation=row.designation,
            designated_year=row.designated_year,
            exited_on=row.exited_on,
        )


@strawberry.type(description="国家级 / 省级贫困县 designation and approval of its exit.")
class PoorCounty:
    designation: CountyDesignation
    region_class: RegionClass
    designated_year: int
    exited_on: date | None

    @classmethod
    def of(cls, row: CountyDesignationRow) -> PoorCounty:
        return cls(
            designation=row.designation,
            region_class=row.region_class,
            designated_year=row.designated_year,
            exited_on=row.exited_on,
        )


@strawberry.type(description="A poverty line for one year; applies to units its prefix covers.")
class PovertyStandard(relay.Node):
    id: relay.NodeID[int]
    applies_to: str = strawberry.field(description="Division-code prefix; empty = nationwide.")
    year: int
    kind: StandardKind
    amount: Decimal
    source: str

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PovertyStandard | None]:
        return await node_loading.resolve(info, StandardRow, node_ids, cls.of)

    @classmethod
    def of(cls, row: StandardRow) -> PovertyStandard:
        return cls(
            id=row.id,
            applies_to=row.applies_to,
            year=row.year,
            kind=row.kind,
            amount=row.amount,
            source=row.source,
        )


@strawberry.type(description="年度退出计划 of a unit.")
class ExitPlan(relay.Node):
    id: relay.NodeID[int]
    year: int
    subject_kind: SubjectKind
    planned_count: int
    planned_population: int | None
    document: str | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ExitPlan | None]:
        return await node_loading.resolve(info, PlanRow, node_ids, cls.of)

    @classmethod
    def of(cls, row: PlanRow) -> ExitPlan:
        return cls(
            id=row.id,
            year=row.year,
            subject_kind=row.subject_kind,
            planned_count=row.planned_count,
            planned_population=row.planned_population,
            document=row.document,
        )


@strawberry.type(description="One entry of the insert-only ledger.")
class AuditEvent(relay.Node):
    id: relay.NodeID[int]
    at: datetime
    actor: str
    actor_role: str
    actor_jurisdiction: str
    action: str
    detail: JSON
    evidence_hashes: list[str]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuditEvent | None]:
        return await node_loading.resolve(info, AuditRow, node_ids, cls.of)

    @classmethod
    def of(cls, row: AuditRow) -> AuditEvent:
        return cls(
            id=row.id,
            at=row.at,
            actor=row.actor_subject,
            actor_role=row.actor_role,
            actor_jurisdiction=row.actor_jurisdiction,
            action=row.action,
            detail=row.detail,  # type: ignore[arg-type]  # JSON is a scalar alias
            evidence_hashes=list(row.evidence_hashes),
        )
