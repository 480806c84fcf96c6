"""GraphQL enums: the domain's StrEnums, each value described by its Chinese label.

The domain enums are registered as they are, so resolvers return domain members
unchanged and the schema layer adds only names and labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

import strawberry

from api.domain.jurisdictions import LEVEL_ZH, Level
from api.domain.register import ZH, ExitAttribute, HouseholdAttribute, PovertyCause, StandardKind
from api.domain.standards import CRITERION_ZH, Criterion

E = TypeVar("E", bound=StrEnum)


def labelled(enum: type[E], labels: Mapping[Any, str], *, description: str) -> type[E]:
    registered = strawberry.enum(enum, description=description)
    definition = registered.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = labels[enum(value.value)]
    return registered


labelled(Level, LEVEL_ZH, description="行政区划层级")
labelled(ExitAttribute, ZH[ExitAttribute], description="脱贫属性")
labelled(StandardKind, ZH[StandardKind], description="识别标准")
labelled(HouseholdAttribute, ZH[HouseholdAttribute], description="贫困户属性")
labelled(PovertyCause, ZH[PovertyCause], description="致贫原因")
labelled(Criterion, CRITERION_ZH, description="退出标准的一项")
