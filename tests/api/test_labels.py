"""Labels beside the Chinese ones: every enum of the schema and every value, in Chinese
(the default) and in English, chosen by `language` or by Accept-Language."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import GraphQLEnumType

from api.domain.labels_en import EN
from api.schema.enums import LABELLED
from api.schema.labels import Language, language_of
from api.schema.schema import schema

LABELS = """query ($language: Language) { labels(language: $language) {
  name label values { value label } } }"""


def _by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert "errors" not in body, body
    return {enum["name"]: enum for enum in body["data"]["labels"]}


async def _labels(
    client: httpx.AsyncClient, language: str | None = None, accept: str | None = None
) -> dict[str, dict[str, Any]]:
    response = await client.post(
        "/graphql",
        json={"query": LABELS, "variables": {"language": language}},
        headers={} if accept is None else {"Accept-Language": accept},
    )
    return _by_name(response.json())


def test_every_enum_of_the_schema_and_every_value_is_labelled_in_both_languages() -> None:
    enums = {
        name: enum
        for name, enum in schema._schema.type_map.items()
        if isinstance(enum, GraphQLEnumType) and not name.startswith("__")
    }
    labelled = {enum.name: enum for enum in LABELLED}
    assert set(labelled) == set(enums)
    for name, enum in labelled.items():
        assert [value for value, _, _ in enum.values] == list(enums[name].values), name
        for value, zh, en in enum.values:
            assert zh.strip(), f"{name}.{value}: no Chinese label"
            assert en.strip(), f"{name}.{value}: no English label"
            assert en.isascii() or "(" in en, f"{name}.{value}: {en!r} is not English"
        assert len({en for _, _, en in enum.values}) == len(enum.values), f"{name}: a label twice"
    # The domain's English table names no enum the schema does not label.
    assert {enum.__name__ for enum in EN} <= {e.name for e in LABELLED} | {
        "Indicator",
        "Comparison",
        "Finding",
        "Basis",
        "Result",
    }


async def test_chinese_is_the_default_english_on_request(client: httpx.AsyncClient) -> None:
    chinese = await _labels(client)
    assert chinese["Role"]["label"] == "角色"
    roles = {v["value"]: v["label"] for v in chinese["Role"]["values"]}
    assert roles["RESIDENT_WORK_TEAM"] == "驻村工作队"
    english = await _labels(client, "EN")
    roles = {v["value"]: v["label"] for v in english["Role"]["values"]}
    assert roles["RESIDENT_WORK_TEAM"] == "Resident work team"
    errors = {v["value"]: v["label"] for v in english["ErrorCode"]["values"]}
    assert errors["NOTICE_PERIOD_NOT_ELAPSED"] == "The notice period is not over"
    assert await _labels(client, accept="en-GB,en;q=0.9,zh;q=0.5") == english
    assert await _labels(client, accept="zh-CN,zh;q=0.9,en;q=0.8") == chinese
    assert await _labels(client, "ZH", accept="en") == chinese  # the argument decides


def test_accept_language_prefers_what_comes_first() -> None:
    assert language_of(None) is Language.ZH
    assert language_of("") is Language.ZH
    assert language_of("fr-FR, en;q=0.5") is Language.EN
    assert language_of("zh-TW, en") is Language.ZH
    assert language_of("de") is Language.ZH
    assert language_of("zh;q=0.1, en") is Language.EN  # by q-values, not by order
    assert language_of("en;q=0, zh;q=0.5") is Language.ZH
    assert language_of("en;q=0") is Language.ZH
    assert language_of("en;q=bad, zh") is Language.ZH
    assert language_of("english") is Language.ZH  # a language tag, not a prefix
