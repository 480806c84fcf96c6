"""The committed SDL is the contract front ends build against: it may not drift."""

from __future__ import annotations

from pathlib import Path

from api.schema.schema import schema

SNAPSHOT = Path(__file__).resolve().parents[2] / "api" / "schema" / "schema.graphql"


def test_the_committed_sdl_matches_the_schema() -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == schema.as_str() + "\n", (
        "run `.venv/bin/tuopin schema` and commit api/schema/schema.graphql"
    )


def test_enums_carry_their_chinese_labels() -> None:
    sdl = SNAPSHOT.read_text(encoding="utf-8")
    for label in ("已脱贫（享受政策）", "村“两委”", "村（社区）", "有异议待处理", "退回"):
        assert label in sdl
