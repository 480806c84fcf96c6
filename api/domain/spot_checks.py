"""Spot checks (抽查): a reproducible random sample of a recorded frame, and its findings.

The draw is a pure function of the frame's *set* of subject keys, the seed and the size:
every key is ranked by HMAC-SHA256 (key: the seed, message: the subject key, both UTF-8)
and the lowest ranks are the sample. Only standard algorithms over bytes, no ``random``:
anyone holding the record re-draws the same sample, on any Python version or in any
language with HMAC-SHA256, whatever order the frame was listed in.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from api.domain.register import SubjectKind
from api.domain.standards import Criterion
from api.errors import ValidationFailed

METHOD = "hmac-sha256-rank/v1"
"""Rank every frame key by hex(HMAC-SHA256(seed, key)), ascending; take the first ``size``."""

MAX_FRAME = 50_000
"""A larger frame is drawn unit by unit (a township, a county): the frame is recorded whole."""

SUBJECT_KINDS = (SubjectKind.HOUSEHOLD, SubjectKind.VILLAGE)


class Basis(StrEnum):
    """Which subjects a frame holds."""

    EXITED = "exited"
    """Subjects that exited, in a year, through a procedure recorded here."""
    AWAITING_REVIEW = "awaiting_review"
    """Applications waiting at a stage whose approval needs a spot check (兰山 镇街抽查审核)."""


class Result(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


PROCEDURE = "procedure"
"""未完整履行退出程序: a stage skipped or performed on paper."""
ACKNOWLEDGMENT = "acknowledgment"
"""The household did not acknowledge its exit (被脱贫)."""

FAILURE_CRITERIA: Mapping[SubjectKind, tuple[str, ...]] = {
    SubjectKind.HOUSEHOLD: (
        Criterion.INCOME,
        Criterion.FOOD_AND_CLOTHING,
        Criterion.COMPULSORY_EDUCATION,
        Criterion.BASIC_MEDICAL_CARE,
        Criterion.SAFE_HOUSING,
        Criterion.SAFE_DRINKING_WATER,
        PROCEDURE,
        ACKNOWLEDGMENT,
    ),
    SubjectKind.VILLAGE: (
        Criterion.INCIDENCE,
        Criterion.HAMLET_ROAD_PAVED,
        Criterion.BROADBAND,
        Criterion.RADIO_AND_CABLE_TV,
        Criterion.CLINIC_WITH_DOCTOR,
        Criterion.CULTURAL_VENUE,
        PROCEDURE,
    ),
}
"""What a failed finding may name, per subject kind: the standard's criteria and the procedure."""


def rank(seed: str, key: str) -> str:
    """A key's place in the draw: lower is drawn first."""
    return hmac.new(seed.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()


def canonical_frame(keys: Iterable[str]) -> tuple[str, ...]:
    """The frame as recorded: its keys in code-point order; a repeated key is refused."""
    frame = tuple(sorted(keys))
    for before, after in itertools.pairwise(frame):
        if before == after:
            raise ValidationFailed(
                f"subject {before!r} appears twice in the frame", path=("frame",)
            )
    return frame


def frame_sha256(frame: Iterable[str]) -> str:
    """SHA-256 of the canonical frame, its keys joined by newlines (UTF-8)."""
    return hashlib.sha256("\n".join(canonical_frame(frame)).encode("utf-8")).hexdigest()


def sample_size(frame_size: int, *, count: int | None, share: Decimal | None) -> int:
    """How many to draw: ``count`` (at most the whole frame) or ``share`` of the frame,
    rounded up, so a non-empty frame always gives at least one."""
    if (count is None) == (share is None):
        raise ValidationFailed("give either a count or a share", path=("count",))
    if count is not None:
        if count < 1:
            raise ValidationFailed("count is at least 1", path=("count",))
        return min(count, frame_size)
    assert share is not None
    if not share.is_finite() or not 0 < share <= 1:
        raise ValidationFailed("share is more than 0 and at most 1", path=("share",))
    return min(frame_size, math.ceil(Fraction(share) * frame_size))


def draw(frame: Iterable[str], *, seed: str, size: int) -> tuple[str, ...]:
    """The sample, lowest rank first. Depends on the frame's keys, not their order."""
    check_seed(seed)
    keys = canonical_frame(frame)
    if not 0 <= size <= len(keys):
        raise ValidationFailed(f"size {size} is outside the frame of {len(keys)}", path=("size",))
    return tuple(sorted(keys, key=lambda k: (rank(seed, k), k))[:size])


def check_seed(seed: str) -> None:
    if not seed or len(seed) > 200 or seed != seed.strip():
        raise ValidationFailed(
            "a seed is 1-200 characters without leading or trailing spaces", path=("seed",)
        )


def check_finding(kind: SubjectKind, result: Result, criteria: Sequence[str]) -> tuple[str, ...]:
    """The failing criteria of a finding, checked: a failure names at least one, a pass none."""
    allowed = FAILURE_CRITERIA[kind]
    for criterion in criteria:
        if criterion not in allowed:
            raise ValidationFailed(
                f"{criterion!r} is not one of: {', '.join(allowed)}", path=("failedCriteria",)
            )
    if len(set(criteria)) != len(criteria):
        raise ValidationFailed("a criterion is named twice", path=("failedCriteria",))
    if result is Result.FAILED and not criteria:
        raise ValidationFailed(
            "a failed finding names its failing criteria", path=("failedCriteria",)
        )
    if result is Result.PASSED and criteria:
        raise ValidationFailed(
            "a passed finding names no failing criteria", path=("failedCriteria",)
        )
    return tuple(str(c) for c in criteria)


def record_sha256(record: Mapping[str, Any]) -> str:
    """SHA-256 of a spot check's record (canonical JSON): what an approval cites as evidence."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
