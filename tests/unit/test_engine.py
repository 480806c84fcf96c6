"""Every seed procedure walked to its end, and every way a step can be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.domain import engine
from api.domain.engine import State, Status
from api.domain.procedures import Decision, Effect, EvidenceKind, SubjectProcedure
from api.domain.register import SubjectKind
from api.domain.standards import Criterion, Shortfall, StandardCheck
from api.errors import (
    InvalidTransition,
    NoticePeriodNotElapsed,
    NotPermitted,
    StandardNotMet,
    ValidationFailed,
)
from api.procedure_files import book

T0 = datetime(2016, 10, 1, 9, 0, tzinfo=UTC)
MET = StandardCheck(())
POSTING = frozenset({EvidenceKind.NOTICE_POSTING})
WALKS = [
    ("heilongjiang", SubjectKind.HOUSEHOLD, Effect.DEREGISTER_HOUSEHOLD, 4),
    ("heilongjiang", SubjectKind.VILLAGE, Effect.MARK_VILLAGE_EXITED, 3),
    ("heilongjiang", SubjectKind.COUNTY, Effect.APPROVE_COUNTY_EXIT, 7),
    ("lanshan", SubjectKind.HOUSEHOLD, Effect.DEREGISTER_HOUSEHOLD, 6),
    ("lanshan", SubjectKind.VILLAGE, Effect.MARK_VILLAGE_EXITED, 4),
]


def proc(code: str, kind: SubjectKind) -> SubjectProcedure:
    return book().procedures[code].for_kind(kind)


def all_evidence(procedure: SubjectProcedure, stage: str) -> frozenset:  # type: ignore[type-arg]
    return frozenset(procedure.stages[procedure.index_of(stage)].evidence)


def begin(procedure: SubjectProcedure, actor: str = "p0") -> State:
    first = procedure.stages[0].code
    return engine.start(
        procedure, actor=actor, check=MET, evidence=all_evidence(procedure, first)
    ).state


def step(procedure: SubjectProcedure, state: State, actor: str, now: datetime) -> engine.Outcome:
    """Perform the current stage: post its notice first if it has one, then approve."""
    current = procedure.stages[procedure.index_of(state.stage)]
    if current.is_notice:
        state = engine.post_notice(
            procedure,
            state,
            stage=current.code,
            evidence=all_evidence(procedure, current.code),
            now=now,
        )
        assert current.notice_days is not None
        now = now + timedelta(days=current.notice_days)
    return engine.perform(
        procedure,
        state,
        stage=current.code,
        actor=actor,
        decision=Decision.APPROVE,
        evidence=all_evidence(procedure, current.code),
        now=now,
    )


@pytest.mark.parametrize(("code", "kind", "effect", "stages"), WALKS)
def test_each_seed_procedure_walks_to_its_end(
    code: str, kind: SubjectKind, effect: Effect, stages: int
) -> None:
    procedure = proc(code, kind)
    assert len(procedure.stages) == stages
    state = begin(procedure)
    now = T0
    outcome = engine.Outcome(state)
    for n in range(1, stages):
        outcome = step(procedure, outcome.state, actor=f"p{n}", now=now)
        now += timedelta(days=10)
    assert outcome.state.status is Status.EXITED
    assert outcome.effects == (effect,)
    assert set(outcome.state.performers) == {s.code for s in procedure.stages}


def test_a_subject_below_its_standard_cannot_be_proposed_and_each_criterion_is_named() -> None:
    check = StandardCheck(
        (
            Shortfall(Criterion.INCOME, "2952 does not exceed 2952"),
            Shortfall(Criterion.SAFE_HOUSING, "graded C"),
        )
    )
    with pytest.raises(StandardNotMet) as caught:
        engine.start(
            proc("heilongjiang", SubjectKind.HOUSEHOLD),
            actor="a",
            check=check,
            evidence=frozenset(),
        )
    assert [code for code, _ in caught.value.criteria] == ["income", "safe_housing"]


def test_stages_run_in_order_only() -> None:
    procedure = proc("heilongjiang", SubjectKind.HOUSEHOLD)
    state = begin(procedure)
    with pytest.raises(
        InvalidTransition, match="out of order: the application waits at verification"
    ):
        engine.perform(
            procedure,
            state,
            stage="announcement",
            actor="x",
            decision=Decision.APPROVE,
            evidence=all_evidence(procedure, "announcement"),
            now=T0,
        )


def test_one_person_may_not_perform_two_successive_stages() -> None:
    procedure = proc("lanshan", SubjectKind.HOUSEHOLD)
    state = begin(procedure, actor="same")
    with pytest.raises(NotPermitted, match="separation of duties"):
        step(procedure, state, actor="same", now=T0)
    assert step(procedure, state, actor="other", now=T0).state.stage == "village_notice"


def test_a_stage_needs_its_evidence() -> None:
    procedure = proc("heilongjiang", SubjectKind.HOUSEHOLD)
    state = begin(procedure)
    with pytest.raises(ValidationFailed, match="needs evidence: household_acknowledgment"):
        engine.perform(
            procedure,
            state,
            stage="verification",
            actor="v",
            decision=Decision.APPROVE,
            evidence=frozenset({"verification_record"}),
            now=T0,
        )  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="needs evidence: assembly_minutes"):
        engine.start(procedure, actor="a", check=MET, evidence=frozenset())


def at_notice(code: str = "heilongjiang") -> tuple[SubjectProcedure, State]:
    procedure = proc(code, SubjectKind.HOUSEHOLD)
    state = step(procedure, begin(procedure), actor="v", now=T0).state
    assert state.stage == "village_notice"
    return procedure, engine.post_notice(
        procedure, state, stage="village_notice", evidence=POSTING, now=T0
    )


def test_the_notice_must_run_its_days_and_the_error_gives_its_end() -> None:
    procedure, state = at_notice()
    ends = T0 + timedelta(days=7)
    with pytest.raises(NoticePeriodNotElapsed) as caught:
        engine.perform(
            procedure,
            state,
            stage="village_notice",
            actor="n",
            decision=Decision.APPROVE,
            evidence=all_evidence(procedure, "village_notice"),
            now=ends - timedelta(seconds=1),
        )
    assert caught.value.ends_at == ends
    assert ends.isoformat() in caught.value.message
    passed = engine.perform(
        procedure,
        state,
        stage="village_notice",
        actor="n",
        decision=Decision.APPROVE,
        evidence=all_evidence(procedure, "village_notice"),
        now=ends,
    )
    assert passed.state.stage == "announcement"


def test_a_notice_stage_cannot_pass_before_it_is_posted() -> None:
    procedure = proc("heilongjiang", SubjectKind.HOUSEHOLD)
    state = step(procedure, begin(procedure), actor="v", now=T0).state
    with pytest.raises(InvalidTransition, match="has not been posted"):
        engine.perform(
            procedure,
            state,
            stage="village_notice",
            actor="n",
            decision=Decision.APPROVE,
            evidence=all_evidence(procedure, "village_notice"),
            now=T0,
        )
    with pytest.raises(ValidationFailed, match="needs evidence: notice_posting"):
        engine.post_notice(procedure, state, stage="village_notice", evidence=frozenset(), now=T0)
    posted = engine.post_notice(procedure, state, stage="village_notice", evidence=POSTING, now=T0)
    with pytest.raises(InvalidTransition, match="already posted"):
        engine.post_notice(procedure, posted, stage="village_notice", evidence=POSTING, now=T0)


def test_an_objection_stops_the_notice_and_returns_to_verification_until_resolved() -> None:
    procedure, state = at_notice()
    objected = engine.raise_objection(procedure, state, now=T0 + timedelta(days=3))
    assert objected.status is Status.OBJECTED
    assert objected.stage == "verification"
    assert objected.notice_ends_at is None
    with pytest.raises(InvalidTransition, match="objection is pending"):
        step(procedure, objected, actor="v2", now=T0)
    resumed = engine.resolve_objection(objected, upheld=False)
    again = step(procedure, resumed, actor="v2", now=T0 + timedelta(days=4))
    assert again.state.stage == "village_notice"
    assert again.state.notice_started_at is None  # the notice runs again in full
    assert engine.resolve_objection(objected, upheld=True).status is Status.REJECTED


def test_objections_come_only_while_a_notice_runs() -> None:
    procedure, state = at_notice()
    with pytest.raises(InvalidTransition, match="while a notice is running"):
        engine.raise_objection(procedure, state, now=T0 + timedelta(days=7))
    with pytest.raises(InvalidTransition, match="no objection is pending"):
        engine.resolve_objection(state, upheld=False)


def test_return_goes_to_an_allowed_earlier_stage_and_reject_ends() -> None:
    procedure, state = at_notice()
    state = engine.perform(
        procedure,
        state,
        stage="village_notice",
        actor="n",
        decision=Decision.APPROVE,
        evidence=all_evidence(procedure, "village_notice"),
        now=T0 + timedelta(days=7),
    ).state
    with pytest.raises(ValidationFailed, match="needs a reason"):
        engine.perform(
            procedure,
            state,
            stage="announcement",
            actor="c",
            decision=Decision.RETURN,
            evidence=frozenset(),
            now=T0,
            return_to="verification",
        )
    with pytest.raises(ValidationFailed, match="returns only to: verification"):
        engine.perform(
            procedure,
            state,
            stage="announcement",
            actor="c",
            decision=Decision.RETURN,
            evidence=frozenset(),
            now=T0,
            return_to="appraisal",
            reason="x",
        )
    back = engine.perform(
        procedure,
        state,
        stage="announcement",
        actor="c",
        decision=Decision.RETURN,
        evidence=frozenset(),
        now=T0,
        return_to="verification",
        reason="户主收入核实有误",
    )
    assert back.state.stage == "verification"
    rejected = engine.perform(
        procedure,
        state,
        stage="announcement",
        actor="c",
        decision=Decision.REJECT,
        evidence=frozenset(),
        now=T0,
        reason="不符合退出标准",
    )
    assert rejected.state.status is Status.REJECTED
    with pytest.raises(InvalidTransition, match="has ended"):
        step(procedure, rejected.state, actor="z", now=T0)


def test_a_stage_refuses_decisions_it_does_not_allow() -> None:
    procedure, state = at_notice()
    with pytest.raises(InvalidTransition, match="allows only: approve, return"):
        engine.perform(
            procedure,
            state,
            stage="village_notice",
            actor="n",
            decision=Decision.REJECT,
            evidence=frozenset(),
            now=T0,
            reason="x",
        )


def test_lanshan_announcement_is_a_five_day_period_before_removal() -> None:
    procedure = proc("lanshan", SubjectKind.HOUSEHOLD)
    announcement = procedure.stages[procedure.index_of("announcement")]
    assert announcement.notice_days == 5
    assert announcement.effects == (Effect.DEREGISTER_HOUSEHOLD,)
    assert [s.code for s in procedure.stages][3:5] == ["report_to_town", "town_spot_check"]


def test_county_evaluation_branches_on_the_county_designation() -> None:
    from api.domain.register import CountyDesignation
    from api.domain.roles import Role

    procedure = proc("heilongjiang", SubjectKind.COUNTY)
    stage = procedure.stages[procedure.index_of("evaluation_inspection")]
    assert stage.roles_for(CountyDesignation.NATIONAL) == (Role.STATE_COUNCIL_LEADING_GROUP,)
    assert stage.roles_for(CountyDesignation.PROVINCIAL) == (Role.PROVINCIAL_LEADING_GROUP,)
