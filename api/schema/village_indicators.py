"""A village's indicators of a year over GraphQL: read on the village (its officials and
those above), recorded by the county."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from api.db.models import VillageIndicators as VillageIndicatorsRow
from api.resolvers.context import Context
from api.schema.errors import AnyError
from api.schema.running import KEY, run
from api.services import village_indicators

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="村级指标: a village's rural population (incidence's denominator) and its "
    "facilities of a year, as the county recorded them."
)
class VillageIndicators:
    village_code: str
    year: int
    rural_population: int = strawberry.field(description="农村人口")
    hamlet_road_paved: bool = strawberry.field(description="中心屯通水泥(沥青)路")
    broadband: bool = strawberry.field(description="通宽带")
    radio_and_cable_tv: bool = strawberry.field(description="通广播有线电视")
    clinic_with_doctor: bool = strawberry.field(description="有卫生室、有医生")
    cultural_venue: bool = strawberry.field(description="有文化活动场所")
    collective_income: Decimal = strawberry.field(description="村集体经济收入 (yuan)")

    @classmethod
    def of(cls, row: VillageIndicatorsRow) -> VillageIndicators:
        return cls(
            village_code=row.village_code,
            year=row.year,
            rural_population=row.rural_population,
            hamlet_road_paved=row.hamlet_road_paved,
            broadband=row.broadband,
            radio_and_cable_tv=row.radio_and_cable_tv,
            clinic_with_doctor=row.clinic_with_doctor,
            cultural_venue=row.cultural_venue,
            collective_income=row.collective_income,
        )


@strawberry.input
class RecordVillageIndicatorsInput:
    village_code: str
    year: int
    rural_population: int
    hamlet_road_paved: bool
    broadband: bool
    radio_and_cable_tv: bool
    clinic_with_doctor: bool
    cultural_venue: bool
    collective_income: Decimal

    def to_service(self) -> village_indicators.Indicators:
        return village_indicators.Indicators(
            rural_population=self.rural_population,
            hamlet_road_paved=self.hamlet_road_paved,
            broadband=self.broadband,
            radio_and_cable_tv=self.radio_and_cable_tv,
            clinic_with_doctor=self.clinic_with_doctor,
            cultural_venue=self.cultural_venue,
            collective_income=self.collective_income,
        )


@strawberry.type
class VillageIndicatorsSuccess:
    indicators: VillageIndicators


VillageIndicatorsPayload = Annotated[
    VillageIndicatorsSuccess | AnyError, strawberry.union("VillageIndicatorsPayload")
]


@strawberry.type
class VillageIndicatorMutations:
    @strawberry.mutation(
        description="The county records a village's indicators of a year (a second record "
        "replaces the first): the statistics move with its rural population, in the same "
        "transaction, and the change is in the ledger."
    )
    async def record_village_indicators(
        self,
        info: Info,
        input: RecordVillageIndicatorsInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> VillageIndicatorsPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: village_indicators.record(
                env,
                who,
                village_code=input.village_code,
                year=input.year,
                indicators=input.to_service(),
            ),
            lambda row: VillageIndicatorsSuccess(indicators=VillageIndicators.of(row)),
            name="recordVillageIndicators",
            key=idempotency_key,
            request=input,
        )
