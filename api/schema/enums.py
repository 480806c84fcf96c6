"""GraphQL enums: the domain's StrEnums, each value described by its Chinese label.

The domain enums are registered as they are, so resolvers return domain members
unchanged and the schema layer adds only names and labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

import strawberry

from api.domain.engine import STATUS_ZH, Status
from api.domain.jurisdictions import LEVEL_ZH, Level
from api.domain.notices import KIND_ZH, NoticeKind
from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import (
    ZH,
    CountyDesignation,
    Education,
    ExitAttribute,
    Health,
    HouseholdAttribute,
    HousingGrade,
    IncomeKind,
    LabourCapacity,
    PovertyCause,
    RegionClass,
    Relation,
    SchoolingStatus,
    StandardKind,
    SubjectKind,
    VillageDesignation,
)
from api.domain.roles import ROLES, Role
from api.domain.standards import CRITERION_ZH, Criterion

E = TypeVar("E", bound=StrEnum)


def labelled(
    enum: type[E], labels: Mapping[Any, str], *, description: str, name: str | None = None
) -> type[E]:
    registered = strawberry.enum(enum, name=name, description=description)
    definition = registered.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = labels[enum(value.value)]
    return registered


labelled(Level, LEVEL_ZH, description="行政区划层级")
labelled(ExitAttribute, ZH[ExitAttribute], description="脱贫属性")
labelled(StandardKind, ZH[StandardKind], description="识别标准")
labelled(HouseholdAttribute, ZH[HouseholdAttribute], description="贫困户属性")
labelled(PovertyCause, ZH[PovertyCause], description="致贫原因")
labelled(Relation, ZH[Relation], description="与户主关系")
labelled(Education, ZH[Education], description="文化程度")
labelled(SchoolingStatus, ZH[SchoolingStatus], description="在校生状况")
labelled(Health, ZH[Health], description="健康状况")
labelled(LabourCapacity, ZH[LabourCapacity], description="劳动能力")
labelled(HousingGrade, ZH[HousingGrade], description="住房安全等级")
labelled(IncomeKind, ZH[IncomeKind], description="收入类别")
labelled(RegionClass, ZH[RegionClass], description="地区类别")
labelled(VillageDesignation, ZH[VillageDesignation], description="贫困村类别")
labelled(Criterion, CRITERION_ZH, description="退出标准的一项")
labelled(NoticeKind, KIND_ZH, description="公示或公告")


class NextAction(StrEnum):
    PERFORM = "perform"
    POST_NOTICE = "post_notice"
    RESOLVE_OBJECTION = "resolve_objection"


labelled(Status, STATUS_ZH, description="申请状态")
labelled(SubjectKind, ZH[SubjectKind], description="退出对象")
labelled(
    Decision,
    {Decision.APPROVE: "通过", Decision.REJECT: "不予通过（终止）", Decision.RETURN: "退回"},
    description="阶段决定",
)
labelled(Role, {r: info.zh for r, info in ROLES.items()}, description="角色")
labelled(CountyDesignation, ZH[CountyDesignation], description="贫困县级别")


labelled(
    NextAction,
    {
        NextAction.PERFORM: "办理本阶段",
        NextAction.POST_NOTICE: "张贴公示",
        NextAction.RESOLVE_OBJECTION: "处理异议",
    },
    description="下一步",
)
labelled(EvidenceKind, {k: k.value for k in EvidenceKind}, description="证明材料类别")
