"""Labels of every enum of the schema, in Chinese (the default) or English, for front
ends: ``labels`` once, then a value's label by its enum and name."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from api.schema.enums import LABELLED, Labelled, labelled


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


labelled(
    Language,
    {Language.ZH: "中文", Language.EN: "英文"},
    description="语言",
    en="Language",
    english={Language.ZH: "Chinese", Language.EN: "English"},
)


def language_of(accept_language: str | None) -> Language:
    """English when the request's Accept-Language prefers it to Chinese (by its q-values,
    then by order); else Chinese."""
    best: dict[Language, float] = {}
    for part in (accept_language or "").split(","):
        tag, _, parameters = part.partition(";")
        tag = tag.strip().lower()
        language = next((lang for lang in Language if tag.split("-")[0] == lang.value), None)
        if language is None:
            continue
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if weight > best.get(language, 0.0):
            best[language] = weight
    english, chinese = best.get(Language.EN, 0.0), best.get(Language.ZH, 0.0)
    return Language.EN if english > chinese else Language.ZH


@strawberry.type(description="One value of an enum and its label.")
class EnumValueLabel:
    value: str = strawberry.field(description="The value as the schema names it (PROVINCE).")
    label: str


@strawberry.type(description="An enum of the schema, its label and its values' labels.")
class EnumLabels:
    name: str = strawberry.field(description="The enum as the schema names it (Level).")
    label: str
    values: list[EnumValueLabel]

    @classmethod
    def of(cls, enum: Labelled, language: Language) -> EnumLabels:
        english = language is Language.EN
        return cls(
            name=enum.name,
            label=enum.en if english else enum.zh,
            values=[
                EnumValueLabel(value=name, label=en if english else zh)
                for name, zh, en in enum.values
            ],
        )


def labels(language: Language) -> list[EnumLabels]:
    return [EnumLabels.of(enum, language) for enum in sorted(LABELLED, key=lambda e: e.name)]
