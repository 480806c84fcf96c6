"""Statistics per unit and year for front-ends, from the rows kept on write."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.domain.jurisdictions import Level, level_of
from api.domain.register import SubjectKind
from api.domain.statistics import Figures, PlanProgress, Tally
from api.resolvers import statistics as resolvers
from api.resolvers.context import Context
from api.services import registry

if TYPE_CHECKING:
    from api.schema.types import Incidence

Info = strawberry.Info[Context, None]


@strawberry.type(description="Designated poor villages or counties under the unit, for the year.")
class SubjectTally:
    designated: int = strawberry.field(description="Designated by the end of the year.")
    proposed: int = strawberry.field(description="Proposed for exit for the year.")
    exited: int = strawberry.field(description="Exited for the year (marks revoked excluded).")
    meeting_standard: int = strawberry.field(
        description="Meeting, on the year's figures, the checks their exit is judged on "
        "before proposal (the incidence bar, and for villages the facilities their "
        "province's procedure checks)."
    )

    @classmethod
    def of(cls, tally: Tally, *, proposed: int, exited: int) -> SubjectTally:
        return cls(
            designated=tally.designated,
            proposed=proposed,
            exited=exited,
            meeting_standard=tally.meeting_standard,
        )


@strawberry.type(
    name="PlanProgress",
    description="Exits for the year against the unit's annual exit plan (年度退出计划).",
)
class PlanProgressType:
    subject_kind: SubjectKind
    planned: int
    planned_population: int | None
    done: int = strawberry.field(description="Exited for the year so far.")
    done_population: int | None = strawberry.field(
        description="Members of the households exited (household plans only)."
    )
    remaining: int
    met: bool
    percent: Decimal | None = strawberry.field(
        description="done ÷ planned in percent, two decimals; null for a plan of zero."
    )

    @classmethod
    def of(
        cls,
        kind: SubjectKind,
        progress: PlanProgress,
        *,
        planned_population: int | None,
        done_population: int | None,
    ) -> PlanProgressType:
        percent = (
            None
            if progress.planned == 0
            else (Decimal(progress.done * 100) / Decimal(progress.planned)).quantize(
                Decimal("0.01")
            )
        )
        return cls(
            subject_kind=kind,
            planned=progress.planned,
            planned_population=planned_population,
            done=progress.done,
            done_population=done_population,
            remaining=progress.remaining,
            met=progress.met,
            percent=percent,
        )


@strawberry.type(
    name="UnitStatistics",
    description="A unit's statistics for a year, kept as changes happen: households and "
    "people registered, still poor, proposed, exited and returned to poverty; incidence; "
    "poor villages and counties meeting their standard; progress against the exit plan.",
)
class UnitStatistics:
    code: str
    year: int
    figures: strawberry.Private[Figures]

    @strawberry.field(description="Registered (建档立卡) by the end of the year.")
    def registered_households(self) -> int:
        return self.figures.registered_households

    @strawberry.field(description="Members of those households in the year they registered.")
    def registered_population(self) -> int:
        return self.figures.registered_population

    @strawberry.field(description="Registered in the year (新识别).")
    def newly_registered_households(self) -> int:
        return self.figures.newly_registered_households

    @strawberry.field
    def newly_registered_population(self) -> int:
        return self.figures.newly_registered_population

    @strawberry.field(description="Still registered poor at the end of the year.")
    def poor_households(self) -> int:
        return self.figures.poor_households

    @strawberry.field(description="Their members counted in the year: incidence's numerator.")
    def poor_population(self) -> int:
        return self.figures.poor_population

    @strawberry.field(description="Households proposed for exit for the year (拟退出).")
    def proposed_households(self) -> int:
        return self.figures.proposed_households

    @strawberry.field(description="Households exited (脱贫) in the year.")
    def exited_households(self) -> int:
        return self.figures.exited_households

    @strawberry.field
    def exited_population(self) -> int:
        return self.figures.exited_population

    @strawberry.field(description="Exited households returned to poverty (返贫) in the year.")
    def returned_households(self) -> int:
        return self.figures.returned_households

    @strawberry.field
    def returned_population(self) -> int:
        return self.figures.returned_population

    @strawberry.field(description="The rural population recorded for the year.")
    def rural_population(self) -> int:
        return self.figures.rural_population

    @strawberry.field(description="Poverty incidence, with the exit bar for villages and counties.")
    async def incidence(
        self, info: Info
    ) -> Annotated[Incidence, strawberry.lazy("api.schema.types")] | None:
        from api.schema.types import Incidence

        region = None
        if level_of(self.code) is Level.COUNTY:
            county = await info.context.loaders.details.county_designation.load(self.code)
            region = None if county is None else county.region_class
        unit = registry.unit_incidence(
            self.code, self.figures, region=region, policy=info.context.policy
        )
        return Incidence.of(unit)

    @strawberry.field(description="Designated poor villages under the unit.")
    async def poor_villages(self, info: Info) -> SubjectTally:
        villages, _ = await resolvers.tallies(info.context, self.code, self.year)
        return SubjectTally.of(
            villages,
            proposed=self.figures.proposed_villages,
            exited=self.figures.exited_villages,
        )

    @strawberry.field(description="Designated poor counties under the unit.")
    async def poor_counties(self, info: Info) -> SubjectTally:
        _, counties = await resolvers.tallies(info.context, self.code, self.year)
        return SubjectTally.of(
            counties,
            proposed=self.figures.proposed_counties,
            exited=self.figures.exited_counties,
        )

    @strawberry.field(description="Progress against the unit's own exit plans for the year.")
    async def plan_progress(self, info: Info) -> list[PlanProgressType]:
        plans = await info.context.loaders.details.exit_plans(self.year).load(self.code)
        done = {
            SubjectKind.HOUSEHOLD: (
                self.figures.exited_households,
                self.figures.exited_population,
            ),
            SubjectKind.VILLAGE: (self.figures.exited_villages, None),
            SubjectKind.COUNTY: (self.figures.exited_counties, None),
        }
        result = []
        for plan in sorted(plans, key=lambda p: list(SubjectKind).index(p.subject_kind)):
            count, population = done[plan.subject_kind]
            result.append(
                PlanProgressType.of(
                    plan.subject_kind,
                    PlanProgress(planned=plan.planned_count, done=count),
                    planned_population=plan.planned_population,
                    done_population=population,
                )
            )
        return result
