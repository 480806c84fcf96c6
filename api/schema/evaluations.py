"""Third-party evaluation of a county (三率一度) as the API shows it, and its mutations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay

from api.db.models import EvaluationAssignment
from api.db.repositories.evaluations import VillageSample
from api.domain.evaluation import (
    COMPARISON_ZH,
    FINDING_ZH,
    INDICATOR_ZH,
    Comparison,
    Finding,
    Indicator,
    IndicatorResult,
    SampledHousehold,
)
from api.domain.register import RegionClass
from api.resolvers.context import Context
from api.schema import inputs as i
from api.schema.enums import labelled
from api.schema.errors import AnyError
from api.schema.running import KEY, run
from api.services import evaluations
from api.services.evaluations import CountyEvaluation as Evaluated

Info = strawberry.Info[Context, None]

labelled(
    Indicator,
    INDICATOR_ZH,
    description="三率一度的指标",
    en="Evaluation indicator",
    name="EvaluationIndicatorCode",
)
labelled(
    Comparison,
    COMPARISON_ZH,
    description="指标与标准的比较",
    en="Comparison with the bar",
    name="RateComparison",
)
labelled(
    Finding, FINDING_ZH, description="抽样户的核查结论", en="Sample finding", name="SampleFinding"
)


@strawberry.type(description="One indicator of 三率一度: its exact counts, rate, bar and verdict.")
class EvaluationIndicator:
    code: Indicator
    label: str
    numerator: int
    denominator: int
    value: Decimal | None = strawberry.field(
        description="The rate in percent, two decimals, for display (met is judged on the "
        "exact numerator ÷ denominator); null when nothing was sampled to compute it."
    )
    threshold: Decimal = strawberry.field(description="The bar in percent.")
    comparison: Comparison = strawberry.field(
        description="How the rate must stand to the bar: BELOW (低于) is strict, "
        "AT_LEAST (不低于, 以上) includes the bar."
    )
    met: bool
    detail: str

    @classmethod
    def of(cls, result: IndicatorResult) -> EvaluationIndicator:
        return cls(
            code=result.indicator,
            label=INDICATOR_ZH[result.indicator],
            numerator=result.numerator,
            denominator=result.denominator,
            value=result.percent,
            threshold=(result.bar.rate * 100).quantize(Decimal("0.01")),
            comparison=result.bar.comparison,
            met=result.met,
            detail=result.detail,
        )


@strawberry.type(description="A surveyed household, known by its questionnaire number only.")
class EvaluationHousehold:
    survey_no: str
    people: int
    registered: bool = strawberry.field(description="建档立卡 (in the register).")
    exited: bool
    found_poor: bool = strawberry.field(description="Found below the exit standard.")
    recognises_exit: bool = strawberry.field(description="Recognises the county's exit (认可).")
    finding: Finding


@strawberry.type(description="A sampled village and the households surveyed in it.")
class EvaluationVillage:
    village_code: str
    rural_population: int = strawberry.field(description="Rural people the survey covered.")
    households: list[EvaluationHousehold]

    @classmethod
    def of(cls, sample: VillageSample) -> EvaluationVillage:
        households = []
        for row in sample.households:
            sampled = SampledHousehold(
                row.people, row.registered, row.exited, row.found_poor, row.recognises
            )
            households.append(
                EvaluationHousehold(
                    survey_no=row.survey_no,
                    people=row.people,
                    registered=row.registered,
                    exited=row.exited,
                    found_poor=row.found_poor,
                    recognises_exit=row.recognises,
                    finding=sampled.finding,
                )
            )
        return cls(
            village_code=sample.village.village_code,
            rural_population=sample.village.rural_population,
            households=households,
        )


@strawberry.type(
    description="第三方评估 (三率一度): one assigned evaluator's samples of a county and the "
    "four indicators computed from them; the county passes only if all four are met."
)
class CountyEvaluation:
    evaluator: str
    assigned_at: datetime
    region_class: RegionClass = strawberry.field(
        description="The county's region: western counties' incidence bar is 3%."
    )
    passed: bool
    indicators: list[EvaluationIndicator]
    samples: list[EvaluationVillage]

    @classmethod
    def of(cls, found: Evaluated) -> CountyEvaluation:
        return cls(
            evaluator=found.assignment.evaluator,
            assigned_at=found.assignment.assigned_at,
            region_class=found.region,
            passed=found.result.passed,
            indicators=[EvaluationIndicator.of(r) for r in found.result.indicators],
            samples=[EvaluationVillage.of(v) for v in found.villages],
        )


@strawberry.type
class RecordEvaluationSuccess:
    assignment_id: strawberry.Private[int]

    @strawberry.field(description="The evaluation as recorded so far.")
    async def evaluation(self, info: Info) -> CountyEvaluation:
        bars = info.context.policy.evaluation_bars
        found = await info.context.read(
            lambda s: evaluations.assignment_evaluation(s, self.assignment_id, bars=bars)
        )
        return CountyEvaluation.of(found)


RecordEvaluationPayload = Annotated[
    RecordEvaluationSuccess | AnyError, strawberry.union("RecordEvaluationPayload")
]


@strawberry.input(description="A surveyed household: no name, only its questionnaire number.")
class EvaluationHouseholdInput:
    survey_no: str = strawberry.field(description="问卷编号, unique in the village's record.")
    people: int
    registered: bool = strawberry.field(description="建档立卡 (in the register).")
    exited: bool = strawberry.field(description="Exited (脱贫); only a registered household.")
    found_poor: bool = strawberry.field(description="Found below the exit standard.")
    recognises_exit: bool = strawberry.field(description="Recognises the county's exit.")

    def to_service(self) -> evaluations.SampledHouseholdInput:
        return evaluations.SampledHouseholdInput(
            survey_no=self.survey_no,
            people=self.people,
            registered=self.registered,
            exited=self.exited,
            found_poor=self.found_poor,
            recognises=self.recognises_exit,
        )


@strawberry.input
class RecordEvaluationVillageInput:
    application_id: relay.GlobalID
    village_code: str
    rural_population: int = strawberry.field(
        description="Rural people the survey covered in the village, the households recorded "
        "among them (every registered household surveyed is recorded)."
    )
    households: list[EvaluationHouseholdInput]


@strawberry.input
class RemoveEvaluationVillageInput:
    application_id: relay.GlobalID
    village_code: str


def _success(assignment: EvaluationAssignment) -> RecordEvaluationSuccess:
    return RecordEvaluationSuccess(assignment_id=assignment.id)


def _app_id(value: relay.GlobalID) -> int:
    return i.node_id(value, "ExitApplication", "applicationId")


@strawberry.type
class EvaluationMutations:
    @strawberry.mutation(
        description="The assigned evaluator records a sampled village of the county and its "
        "surveyed households (replacing its earlier record of that village), until its report "
        "for the stage is submitted."
    )
    async def record_evaluation_village(
        self,
        info: Info,
        input: RecordEvaluationVillageInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> RecordEvaluationPayload:
        def work(env: Any, who: Any) -> Any:
            return evaluations.record_village(
                env,
                who,
                application_id=_app_id(input.application_id),
                village_code=input.village_code,
                rural_population=input.rural_population,
                households=[h.to_service() for h in input.households],
            )

        return await run(  # type: ignore[return-value]
            info,
            work,
            _success,
            name="recordEvaluationVillage",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="The assigned evaluator withdraws a sampled village.")
    async def remove_evaluation_village(
        self,
        info: Info,
        input: RemoveEvaluationVillageInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> RecordEvaluationPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: evaluations.remove_village(
                env,
                who,
                application_id=_app_id(input.application_id),
                village_code=input.village_code,
            ),
            _success,
            name="removeEvaluationVillage",
            key=idempotency_key,
            request=input,
        )
