"""The spot-check draw: deterministic, independent of frame order, reproducible from the
record; sample sizes; findings; sending a failed subject back; procedure validation."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import yaml

from api.domain import engine, history
from api.domain import spot_checks as sc
from api.domain.engine import State, Status
from api.domain.procedures import Decision, Effect, parse_procedure
from api.domain.register import SubjectKind
from api.domain.spot_checks import Result
from api.errors import ValidationFailed
from api.procedure_files import PROCEDURES_DIR, book

FRAME = [f"37130210120000{i:02d}" for i in range(1, 21)]
SEED = "兰山2016"


def test_the_draw_is_pinned_to_hmac_sha256_ranks() -> None:
    # Fixed vectors: the same in any Python (no `random`), and checked outside Python with
    # `printf 3713021012000001 | openssl dgst -sha256 -hmac 兰山2016` and `sha256sum`.
    assert sc.rank(SEED, FRAME[0]) == (
        "59428e1104fcbe26808ea80f2f607b9ec27515c122959bb9b1530dfdcdcb09f1"
    )
    assert sc.frame_sha256(FRAME) == (
        "5a0bc62539b194bba19115ee5387116820ae0f8cb4ae6d58dc3efa654abb77da"
    )
    assert sc.draw(FRAME, seed=SEED, size=4) == (
        "3713021012000007",
        "3713021012000014",
        "3713021012000020",
        "3713021012000015",
    )


def test_the_sample_is_the_lowest_ranks_in_rank_order() -> None:
    sample = sc.draw(FRAME, seed=SEED, size=5)
    ranks = [sc.rank(SEED, k) for k in sample]
    assert ranks == sorted(ranks)
    assert max(ranks) < min(sc.rank(SEED, k) for k in FRAME if k not in sample)


def test_the_order_of_the_frame_does_not_change_the_sample() -> None:
    expected = sc.draw(FRAME, seed=SEED, size=6)
    shuffled = list(FRAME)
    for turn in range(20):
        random.Random(turn).shuffle(shuffled)
        assert sc.draw(shuffled, seed=SEED, size=6) == expected
        assert sc.frame_sha256(shuffled) == sc.frame_sha256(FRAME)
    assert sc.draw(reversed(FRAME), seed=SEED, size=6) == expected


def test_another_seed_draws_another_sample_and_a_bigger_size_extends_it() -> None:
    assert sc.draw(FRAME, seed="another", size=6) != sc.draw(FRAME, seed=SEED, size=6)
    assert sc.draw(FRAME, seed=SEED, size=8)[:6] == sc.draw(FRAME, seed=SEED, size=6)
    assert set(sc.draw(FRAME, seed=SEED, size=20)) == set(FRAME)


def test_a_frame_with_a_repeated_subject_or_a_bad_seed_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="twice"):
        sc.draw([*FRAME, FRAME[3]], seed=SEED, size=2)
    for seed in ("", " padded", "x" * 201):
        with pytest.raises(ValidationFailed, match="seed"):
            sc.draw(FRAME, seed=seed, size=2)
    with pytest.raises(ValidationFailed, match="outside the frame"):
        sc.draw(FRAME, seed=SEED, size=21)


@pytest.mark.parametrize(
    ("frame_size", "count", "share", "size"),
    [
        (20, 5, None, 5),
        (20, 50, None, 20),  # at most the whole frame
        (20, None, Decimal("0.1"), 2),
        (21, None, Decimal("0.1"), 3),  # 2.1 rounds up
        (3, None, Decimal("0.01"), 1),  # a non-empty frame gives at least one
        (20, None, Decimal("1"), 20),
    ],
)
def test_sample_sizes(frame_size: int, count: int | None, share: Decimal | None, size: int) -> None:
    assert sc.sample_size(frame_size, count=count, share=share) == size


@pytest.mark.parametrize(
    ("count", "share", "message"),
    [
        (None, None, "either a count or a share"),
        (3, Decimal("0.5"), "either a count or a share"),
        (0, None, "at least 1"),
        (None, Decimal("0"), "more than 0"),
        (None, Decimal("1.01"), "at most 1"),
        (None, Decimal("NaN"), "more than 0"),
    ],
)
def test_bad_sample_sizes_are_refused(
    count: int | None, share: Decimal | None, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        sc.sample_size(20, count=count, share=share)


def test_a_finding_names_its_failing_criteria_from_the_subjects_standard() -> None:
    kind = SubjectKind.HOUSEHOLD
    assert sc.check_finding(kind, Result.FAILED, ["income", "procedure"]) == ("income", "procedure")
    assert sc.check_finding(kind, Result.PASSED, []) == ()
    with pytest.raises(ValidationFailed, match="names its failing criteria"):
        sc.check_finding(kind, Result.FAILED, [])
    with pytest.raises(ValidationFailed, match="names no failing"):
        sc.check_finding(kind, Result.PASSED, ["income"])
    with pytest.raises(ValidationFailed, match="not one of"):
        sc.check_finding(kind, Result.FAILED, ["incidence"])  # a village's criterion
    with pytest.raises(ValidationFailed, match="twice"):
        sc.check_finding(kind, Result.FAILED, ["income", "income"])
    assert sc.check_finding(SubjectKind.VILLAGE, Result.FAILED, ["incidence"]) == ("incidence",)


T0 = datetime(2016, 11, 1, tzinfo=UTC)


def test_a_failed_spot_check_reopens_an_exit_and_names_its_effects() -> None:
    flow = book().procedures["lanshan"].for_kind(SubjectKind.HOUSEHOLD)
    exited = State(stage="announcement", status=Status.EXITED, performers={"appraisal": "a"})
    sent = engine.send_back(flow, exited, to="verification")
    assert sent is not None
    assert sent.state == State(
        stage="verification", status=Status.IN_PROGRESS, performers={"appraisal": "a"}
    )
    assert sent.revoked == (Effect.DEREGISTER_HOUSEHOLD,)


def test_a_failed_spot_check_returns_a_running_application_past_verification_only() -> None:
    flow = book().procedures["lanshan"].for_kind(SubjectKind.HOUSEHOLD)
    waiting = State(stage="town_spot_check", status=Status.IN_PROGRESS)
    sent = engine.send_back(flow, waiting, to="verification")
    assert sent is not None
    assert (sent.state.stage, sent.state.status, sent.revoked) == (
        "verification",
        Status.IN_PROGRESS,
        (),
    )
    for state in (
        State(stage="verification", status=Status.IN_PROGRESS),
        State(stage="appraisal", status=Status.IN_PROGRESS),
        State(stage="town_spot_check", status=Status.REJECTED),
        State(stage="verification", status=Status.OBJECTED),
    ):
        assert engine.send_back(flow, state, to="verification") is None


def test_an_application_enters_its_stage_at_the_last_approval_or_return() -> None:
    entries = [
        history.Entry("appraisal", "perform", Decision.APPROVE, "a", T0),
        history.Entry("verification", "acknowledgment", None, "b", T0 + timedelta(hours=1)),
        history.Entry("verification", "perform", Decision.APPROVE, "b", T0 + timedelta(hours=2)),
        history.Entry("village_notice", "spot_check", None, "t", T0 + timedelta(hours=3)),
    ]
    assert history.entered_at(entries) == T0 + timedelta(hours=2)
    back = history.Entry("village_notice", "spot_check", Decision.RETURN, "t", T0 + timedelta(4))
    assert history.entered_at([*entries, back]) == T0 + timedelta(4)
    assert history.entered_at([]) is None


def test_the_seed_procedures_say_where_a_failed_spot_check_returns() -> None:
    procedures = book().procedures
    returns = {
        (code, kind): procedures[code].for_kind(kind).spot_check_returns_to
        for code in ("heilongjiang", "lanshan")
        for kind in (SubjectKind.HOUSEHOLD, SubjectKind.VILLAGE)
    }
    assert returns == {
        ("heilongjiang", SubjectKind.HOUSEHOLD): "verification",
        ("heilongjiang", SubjectKind.VILLAGE): "investigation",
        ("lanshan", SubjectKind.HOUSEHOLD): "verification",
        ("lanshan", SubjectKind.VILLAGE): "proposal",
    }
    lanshan = procedures["lanshan"].for_kind(SubjectKind.HOUSEHOLD)
    assert [s.code for s in lanshan.stages if s.needs_spot_check] == ["town_spot_check"]


def _lanshan() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (PROCEDURES_DIR / "lanshan.yaml").read_text(encoding="utf-8")
    )
    return copy.deepcopy(data)


def _household(data: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = data["subjects"]["household"]
    return entry


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _household(d).update(spot_check_returns_to="nowhere"), "not a stage"),
        (lambda d: _household(d).pop("spot_check_returns_to"), "needs spot_check_returns_to"),
        (lambda d: _household(d).update(spot_check_returns_to="town_spot_check"), "after"),
        (
            lambda d: _household(d)["stages"][5]["evidence"].append("spot_check_record"),
            "not by a list or notice stage",
        ),
        (
            lambda d: d["subjects"].update(
                county={**d["subjects"]["village"], "spot_check_returns_to": "proposal"}
            ),
            "not spot-checked",
        ),
    ],
)
def test_a_bad_spot_check_setting_is_refused_on_load(mutate: Any, message: str) -> None:
    data = _lanshan()
    mutate(data)
    with pytest.raises(ValidationFailed, match=message):
        parse_procedure(data)
