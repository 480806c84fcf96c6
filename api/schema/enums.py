"""GraphQL enums: the domain's StrEnums, each value described by its Chinese label.

The domain enums are registered as they are, so resolvers return domain members
unchanged and the schema layer adds only names and labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import strawberry

from api.domain.engine import STATUS_ZH, Status
from api.domain.jurisdictions import LEVEL_ZH, Level
from api.domain.labels_en import EN, EVIDENCE_ZH
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


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled enum as the schema names it, with its labels in both languages."""

    name: str
    """The GraphQL enum's name."""
    zh: str
    en: str
    values: tuple[tuple[str, str, str], ...]
    """(GraphQL value name, Chinese label, English label), in the schema's order."""


LABELLED: list[Labelled] = []
"""Every labelled enum of the schema (``labels`` answers from it)."""


def labelled(
    enum: type[E],
    labels: Mapping[Any, str],
    *,
    description: str,
    en: str,
    english: Mapping[Any, str] | None = None,
    name: str | None = None,
) -> type[E]:
    """Register ``enum`` with Chinese value descriptions (the schema's default) and keep
    its English labels (``labels_en.EN``, or ``english``) for ``labels``."""
    registered = strawberry.enum(enum, name=name, description=description)
    definition = registered.__strawberry_definition__  # type: ignore[attr-defined]
    in_english = english if english is not None else EN[enum]
    values = []
    for value in definition.values:
        member = enum(value.value)
        value.description = labels[member]
        values.append((value.name, labels[member], in_english[member]))
    LABELLED.append(Labelled(definition.name, description, en, tuple(values)))
    return registered


labelled(Level, LEVEL_ZH, description="行政区划层级", en="Division level")
labelled(ExitAttribute, ZH[ExitAttribute], description="脱贫属性", en="Exit status")
labelled(StandardKind, ZH[StandardKind], description="识别标准", en="Identification standard")
labelled(
    HouseholdAttribute, ZH[HouseholdAttribute], description="贫困户属性", en="Poor household type"
)
labelled(PovertyCause, ZH[PovertyCause], description="致贫原因", en="Cause of poverty")
labelled(Relation, ZH[Relation], description="与户主关系", en="Relation to the head")
labelled(Education, ZH[Education], description="文化程度", en="Education")
labelled(SchoolingStatus, ZH[SchoolingStatus], description="在校生状况", en="Schooling")
labelled(Health, ZH[Health], description="健康状况", en="Health")
labelled(LabourCapacity, ZH[LabourCapacity], description="劳动能力", en="Capacity to work")
labelled(HousingGrade, ZH[HousingGrade], description="住房安全等级", en="Housing safety grade")
labelled(IncomeKind, ZH[IncomeKind], description="收入类别", en="Income kind")
labelled(RegionClass, ZH[RegionClass], description="地区类别", en="Region class")
labelled(
    VillageDesignation, ZH[VillageDesignation], description="贫困村类别", en="Poor village type"
)
labelled(Criterion, CRITERION_ZH, description="退出标准的一项", en="Exit criterion")
labelled(NoticeKind, KIND_ZH, description="公示或公告", en="Notice or announcement")


class NextAction(StrEnum):
    PERFORM = "perform"
    POST_NOTICE = "post_notice"
    RESOLVE_OBJECTION = "resolve_objection"


labelled(Status, STATUS_ZH, description="申请状态", en="Application status")
labelled(SubjectKind, ZH[SubjectKind], description="退出对象", en="Exit subject")
labelled(
    Decision,
    {Decision.APPROVE: "通过", Decision.REJECT: "不予通过（终止）", Decision.RETURN: "退回"},
    description="阶段决定",
    en="Stage decision",
)
labelled(Role, {r: info.zh for r, info in ROLES.items()}, description="角色", en="Role")
labelled(CountyDesignation, ZH[CountyDesignation], description="贫困县级别", en="Poor county level")


labelled(
    NextAction,
    {
        NextAction.PERFORM: "办理本阶段",
        NextAction.POST_NOTICE: "张贴公示",
        NextAction.RESOLVE_OBJECTION: "处理异议",
    },
    description="下一步",
    en="Next step",
    english={
        NextAction.PERFORM: "Perform the stage",
        NextAction.POST_NOTICE: "Post the notice",
        NextAction.RESOLVE_OBJECTION: "Resolve the objection",
    },
)
labelled(EvidenceKind, EVIDENCE_ZH, description="证明材料类别", en="Evidence kind")
