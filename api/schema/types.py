"""The first read-only slice: the jurisdiction tree, incidence, households of a unit."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay

from api.db.models import Member as MemberRow
from api.db.repositories import households as household_repo
from api.db.views import HouseholdView, JurisdictionView, MemberView, values_of
from api.domain.jurisdictions import Level
from api.domain.register import (
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    LabourCapacity,
    PovertyCause,
    Relation,
    SchoolingStatus,
    StandardKind,
)
from api.domain.standards import CRITERION_ZH, Criterion
from api.domain.standards import StandardCheck as DomainCheck
from api.domain.years import check_year
from api.errors import ValidationFailed
from api.resolvers import households as household_resolvers
from api.resolvers import statistics as statistics_resolvers
from api.resolvers.context import Context
from api.resolvers.ids import parse_id
from api.resolvers.lookahead import asks_field
from api.resolvers.privacy import mask_id_number, mask_phone, sees_bank_account, sees_identity
from api.schema import (
    enums,  # noqa: F401  (registers the enums)
    node_loading,
)
from api.schema.changes import Change, SyncAnswer, SyncStatus
from api.schema.details import Assessment, ExitPlan, IncomeRecord, PoorCounty, PoorVillage
from api.schema.pagination import PageInfo
from api.schema.permissions import SIGNED_IN
from api.schema.procedures import ExitApplication
from api.services.registry import UnitIncidence

if TYPE_CHECKING:
    from api.schema.statistics import UnitStatistics
    from api.schema.village_indicators import VillageIndicators

Info = strawberry.Info[Context, None]


async def sync_status_of(info: Info, kind: str, key: str) -> SyncStatus | None:
    found = await info.context.loaders.details.sync_status.load((kind, key))
    if found is None:
        return None
    event, answer = found
    return SyncStatus(
        last_change=Change.of(event), answer=None if answer is None else SyncAnswer.of(answer)
    )


@strawberry.type(description="退出标准中未达到的一项")
class Shortfall:
    criterion: Criterion
    label: str = strawberry.field(description="该项标准的中文名称")
    detail: str


@strawberry.type(description="对照退出标准的检查结果")
class StandardCheck:
    met: bool
    shortfalls: list[Shortfall]

    @classmethod
    def of(cls, check: DomainCheck) -> StandardCheck:
        return cls(
            met=check.met,
            shortfalls=[
                Shortfall(criterion=s.criterion, label=CRITERION_ZH[s.criterion], detail=s.detail)
                for s in check.shortfalls
            ],
        )


@strawberry.type(description="贫困发生率：建档立卡贫困人口 ÷ 农村人口")
class Incidence:
    year: int
    poor_population: int
    rural_population: int
    percent: Decimal | None = strawberry.field(
        description="In percent, two decimals; null when no rural population is recorded."
    )
    exit_check: StandardCheck | None = strawberry.field(
        description="Against the unit's exit bar (villages and counties only)."
    )

    @classmethod
    def of(cls, unit: UnitIncidence) -> Incidence:
        return cls(
            year=unit.year,
            poor_population=unit.incidence.poor,
            rural_population=unit.incidence.rural,
            percent=unit.incidence.percent,
            exit_check=None if unit.check is None else StandardCheck.of(unit.check),
        )


@strawberry.type(description="家庭成员. The ID number is masked outside the household's township.")
class Member(relay.Node):
    id: relay.NodeID[int]
    name: str
    id_number: str
    relation: Relation
    ethnicity: str
    education: Education
    schooling: SchoolingStatus
    health: Health
    labour_capacity: LabourCapacity
    migrant_work_months: int
    medical_insurance: bool
    serious_illness_insurance: bool
    serious_illness_treated: bool | None = strawberry.field(
        description="大病是否得到救治, for a member with a serious illness; null: not recorded."
    )
    pension_insurance: bool
    joined_year: int | None
    left_year: int | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Member | None]:
        rows = await node_loading.resolve(info, MemberRow, node_ids, lambda row: row)
        households = await info.context.loaders.household.by_id.load_many(
            [row.household_id for row in rows if row is not None]
        )
        villages = {h.id: h.village_code for h in households if h is not None}
        principal = info.context.principal
        return [
            None
            if row is None
            else cls.of(row, full=sees_identity(principal, villages[row.household_id]))
            for row in rows
        ]

    @classmethod
    def of(cls, row: MemberView, *, full: bool) -> Member:
        values = values_of(row)
        id_number = values["id_number"]
        return cls(
            id=values["id"],
            name=values["name"],
            id_number=id_number if full else mask_id_number(id_number),
            relation=values["relation"],
            ethnicity=values["ethnicity"],
            education=values["education"],
            schooling=values["schooling"],
            health=values["health"],
            labour_capacity=values["labour_capacity"],
            migrant_work_months=values["migrant_work_months"],
            medical_insurance=values["medical_insurance"],
            serious_illness_insurance=values["serious_illness_insurance"],
            serious_illness_treated=values["serious_illness_treated"],
            pension_insurance=values["pension_insurance"],
            joined_year=values["joined_year"],
            left_year=values["left_year"],
        )


@strawberry.type(description="贫困户")
class Household(relay.Node):
    id: relay.NodeID[int]
    registry_no: str
    village_code: str
    villager_group: str
    head_name: str
    standard_kind: StandardKind
    attribute: HouseholdAttribute
    main_cause: PovertyCause
    second_cause: PovertyCause | None = strawberry.field(description="次要致贫原因")
    third_cause: PovertyCause | None = strawberry.field(description="第三致贫原因")
    exit_attribute: ExitAttribute
    registered_year: int
    exited_year: int | None
    raw_phone: strawberry.Private[str | None]
    raw_bank_account: strawberry.Private[str | None]

    @classmethod
    def of(cls, row: HouseholdView) -> Household:
        values = values_of(row)
        return cls(
            raw_phone=values["phone"],
            id=values["id"],
            registry_no=values["registry_no"],
            village_code=values["village_code"],
            villager_group=values["villager_group"],
            head_name=values["head_name"],
            standard_kind=values["standard_kind"],
            attribute=values["attribute"],
            main_cause=values["main_cause"],
            second_cause=values["second_cause"],
            third_cause=values["third_cause"],
            raw_bank_account=values["bank_account"],
            exit_attribute=values["exit_attribute"],
            registered_year=values["registered_year"],
            exited_year=values["exited_year"],
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Household | None]:
        wanted = [parse_id(n) for n in node_ids]
        ids = [n for n in wanted if n is not None]
        loaders = info.context.loaders.household
        if asks_field(info, "members"):
            loaders.with_members = True  # read with the households: one statement less
        rows = await loaders.by_id.load_many(ids)
        found = {row.id: cls.of(row) for row in rows if row is not None}
        return [None if n is None else found.get(n) for n in wanted]

    @strawberry.field(description="Masked outside the household's township.")
    def phone(self, info: Info) -> str | None:
        if self.raw_phone is None:
            return None
        if sees_identity(info.context.principal, self.village_code):
            return self.raw_phone
        return mask_phone(self.raw_phone)

    @strawberry.field(
        description="银行账户 (一卡通) where its subsidies are paid: for the township and the "
        "county that pay them; null for every other viewer."
    )
    def bank_account(self, info: Info) -> str | None:
        if sees_bank_account(info.context.principal, self.village_code):
            return self.raw_bank_account
        return None

    @strawberry.field(description="The village the household is registered in.")
    async def village(self, info: Info) -> Jurisdiction | None:
        row = await info.context.loaders.jurisdiction.load(self.village_code)
        return None if row is None else Jurisdiction.of(row)

    @strawberry.field(description="The county the household lies in.")
    async def county(self, info: Info) -> Jurisdiction | None:
        row = await info.context.loaders.jurisdiction.load(self.village_code[:6])
        return None if row is None else Jurisdiction.of(row)

    @strawberry.field(description="Members as registered, with ID numbers masked where due.")
    async def members(self, info: Info) -> list[Member]:
        rows = await info.context.loaders.household.members.load(self.id)
        full = sees_identity(info.context.principal, self.village_code)
        return [Member.of(row, full=full) for row in rows]

    @strawberry.field(description="The year's income records.")
    async def incomes(self, info: Info, year: int) -> list[IncomeRecord]:
        check_year(year)
        rows = await info.context.loaders.details.incomes(year).load(self.id)
        return [IncomeRecord.of(row) for row in rows]

    @strawberry.field(description="The year's 两不愁三保障 assessments; the latest counts.")
    async def assessments(self, info: Info, year: int) -> list[Assessment]:
        check_year(year)
        rows = await info.context.loaders.details.assessments(year).load(self.id)
        return [Assessment.of(row) for row in rows]

    @strawberry.field(description="Its newest change and the national system's answer.")
    async def sync_status(self, info: Info) -> SyncStatus | None:
        return await sync_status_of(info, "household", self.registry_no)

    @strawberry.field(description="The household's newest exit application, if any.")
    async def current_application(self, info: Info) -> ExitApplication | None:
        row = await info.context.loaders.application.current_for_household.load(self.id)
        return None if row is None else ExitApplication.of(row)

    @strawberry.field(description="Members counted in the household in that year.")
    def size(self, info: Info, year: int) -> int:
        cached = info.context.figures.get((year, self.id))
        if cached is not None:  # fetched with the page: no await per row
            return cached.size
        check_year(year)
        return cast("int", self._accounts(info, year, "size"))

    @strawberry.field(description="年人均纯收入, derived from the year's income records.")
    def per_capita_net_income(self, info: Info, year: int) -> Decimal | None:
        cached = info.context.figures.get((year, self.id))
        if cached is not None:
            return cached.per_capita
        check_year(year)
        return cast("Decimal | None", self._accounts(info, year, "per_capita"))

    async def _accounts(self, info: Info, year: int, figure: str) -> object:
        """The figure through the DataLoader, for a household not fetched with a page
        (graphql-core awaits what a plain resolver returns)."""
        accounts = await info.context.loaders.household.accounts(year).load(self.id)
        return getattr(accounts, figure)

    @strawberry.field(description="The household exit standard, judged on recorded data.")
    async def standard_check(self, info: Info, year: int) -> StandardCheck | None:
        check_year(year)
        check = await info.context.loaders.household.check(year).load(self.id)
        return None if check is None else StandardCheck.of(check)


@strawberry.input(description="Keep households that do (or do not) meet their exit standard.")
class MeetsStandardInput:
    year: int
    met: bool = True

    def __post_init__(self) -> None:
        check_year(self.year, path=("meetsStandard", "year"))


@strawberry.type
class HouseholdEdge:
    node: Household

    @strawberry.field(description="Opaque; pass as `after` to continue after this row.")
    def cursor(self) -> str:
        # Encoded only when asked for: most pages ask for pageInfo.endCursor alone.
        return household_resolvers.cursor_at((self.node.village_code, self.node.id))


@strawberry.type
class HouseholdConnection:
    edges: list[HouseholdEdge]
    page_info: PageInfo
    under: strawberry.Private[str]
    exit_attributes: strawberry.Private[tuple[str, ...]]
    by_standard: strawberry.Private[bool]

    @strawberry.field(description="Counted only when asked for; not with meetsStandard.")
    async def total_count(self, info: Info) -> int:
        if self.by_standard:
            raise ValidationFailed(
                "totalCount is not available with meetsStandard: the standard is judged "
                "per household on its records, not counted in SQL",
                path=("totalCount",),
            )
        scope = info.context.scope
        return await info.context.read(
            lambda s: household_repo.count_under(
                s, scope=scope, under=self.under, exit_attributes=self.exit_attributes
            )
        )


@strawberry.type(description="行政区划单位. Public: it is the statistical division table.")
class Jurisdiction(relay.Node):
    code: relay.NodeID[str]
    name: str
    level: Level
    parent_code: str | None

    @classmethod
    def of(cls, row: JurisdictionView) -> Jurisdiction:
        return cls(code=row.code, name=row.name, level=row.level, parent_code=row.parent_code)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Jurisdiction | None]:
        rows = await info.context.loaders.jurisdiction.load_many(list(node_ids))
        return [None if row is None else cls.of(row) for row in rows]

    @strawberry.field(name="code", description="The statistical division code.")
    def division_code(self) -> str:
        return self.code

    @strawberry.field
    async def parent(self, info: Info) -> Jurisdiction | None:
        if self.parent_code is None:
            return None
        row = await info.context.loaders.jurisdiction.load(self.parent_code)
        return None if row is None else Jurisdiction.of(row)

    @strawberry.field
    async def children(self, info: Info) -> list[Jurisdiction]:
        rows = await info.context.loaders.children.load(self.code)
        return [Jurisdiction.of(row) for row in rows]

    @strawberry.field(
        description="A village's or county's newest change and the national system's answer; "
        "null outside your jurisdiction."
    )
    async def sync_status(self, info: Info) -> SyncStatus | None:
        if not info.context.scope.covers(self.code) or self.level not in (
            Level.VILLAGE,
            Level.COUNTY,
        ):
            return None
        return await sync_status_of(info, self.level.value, self.code)

    @strawberry.field(description="Its designation as a poor village, if it is one.")
    async def poor_village(self, info: Info) -> PoorVillage | None:
        row = await info.context.loaders.details.village_designation.load(self.code)
        return None if row is None else PoorVillage.of(row)

    @strawberry.field(description="Its designation as a poor county, if it is one.")
    async def poor_county(self, info: Info) -> PoorCounty | None:
        row = await info.context.loaders.details.county_designation.load(self.code)
        return None if row is None else PoorCounty.of(row)

    @strawberry.field(
        description="The unit's exit plans for the year (its own officials).",
        permission_classes=SIGNED_IN,
    )
    async def exit_plans(self, info: Info, year: int) -> list[ExitPlan] | None:
        check_year(year)
        if not info.context.scope.covers(self.code):
            return []
        rows = await info.context.loaders.details.exit_plans(year).load(self.code)
        return [ExitPlan.of(row) for row in rows]

    @strawberry.field(
        description="A village's indicators of the year (rural population, facilities), as "
        "the county recorded them; null for other units, unrecorded years and outside the "
        "viewer's jurisdiction. Read like the statistics: an error for third-party "
        "evaluators and integrators.",
        permission_classes=SIGNED_IN,
    )
    async def indicators(
        self, info: Info, year: int
    ) -> Annotated[VillageIndicators, strawberry.lazy("api.schema.village_indicators")] | None:
        check_year(year)
        if len(self.code) != 12 or not info.context.scope.covers(self.code):
            return None
        from api.schema.village_indicators import VillageIndicators as IndicatorsType

        row = await info.context.loaders.details.village_indicators(year).load(self.code)
        return None if row is None else IndicatorsType.of(row)

    @strawberry.field(
        description="Poverty incidence for the year; null outside the viewer's jurisdiction.",
        permission_classes=SIGNED_IN,
    )
    async def incidence(self, info: Info, year: int) -> Incidence | None:
        check_year(year)
        unit = await info.context.loaders.incidence(year).load(self.code)
        return None if unit is None else Incidence.of(unit)

    @strawberry.field(
        description="The unit's statistics for the year, kept as changes happen. Null for "
        "the public and outside the viewer's jurisdiction; an error (\"may not read "
        'statistics") for a role that does not read them (third-party evaluators, '
        "integrators).",
        permission_classes=SIGNED_IN,
    )
    async def statistics(
        self, info: Info, year: int
    ) -> Annotated[UnitStatistics, strawberry.lazy("api.schema.statistics")] | None:
        from api.schema.statistics import UnitStatistics

        check_year(year)
        found = await statistics_resolvers.figures(info.context, self.code, year)
        return None if found is None else UnitStatistics(code=self.code, year=year, figures=found)

    @strawberry.field(
        description="Registered households under this unit that the viewer may see, "
        "in (village, id) order. With meetsStandard, a page scans at most 2,000 candidates "
        "and may hold fewer than `first` rows; follow endCursor while hasNextPage.",
        permission_classes=SIGNED_IN,
    )
    async def households(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        exit_attribute: list[ExitAttribute] | None = None,
        meets_standard: MeetsStandardInput | None = None,
    ) -> HouseholdConnection | None:
        wanted = tuple(a.value for a in exit_attribute or ())
        standard = (
            None
            if meets_standard is None
            else household_resolvers.StandardFilter(
                year=meets_standard.year, met=meets_standard.met
            )
        )
        years = household_resolvers.figure_years(info)
        page = await household_resolvers.page_under(
            info.context,
            code=self.code,
            first=first,
            after=after,
            exit_attributes=wanted,
            standard=standard,
            figures_year=min(years, default=None),
        )
        await household_resolvers.prefetch_figures(info.context, page, years)
        edges = [HouseholdEdge(node=Household.of(row)) for row in page.rows]
        return HouseholdConnection(
            edges=edges,
            page_info=household_page_info(page, after=after),
            under=self.code,
            exit_attributes=wanted,
            by_standard=standard is not None,
        )


def household_page_info(page: household_resolvers.HouseholdPage, *, after: str | None) -> PageInfo:
    """A household page's PageInfo (its end may be past its last row: a scan's end)."""
    first_row = page.rows[0] if page.rows else None
    return PageInfo(
        has_next_page=page.has_next,
        end_cursor=None if page.end is None else household_resolvers.cursor_at(page.end),
        has_previous_page=after is not None,
        start_cursor=None
        if first_row is None
        else household_resolvers.cursor_at((first_row.village_code, first_row.id)),
    )
