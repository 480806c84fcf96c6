"""The procedure engine: pure transitions of one exit application.

Who may act is decided elsewhere (Casbin, from the same procedure files); this
module decides whether the step is allowed *now*: in order, with its evidence,
after its notice period, with no objection pending, and not by the person who
performed the previous stage. Every function returns a new state; nothing here
does IO, and time comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from api.domain.procedures import Decision, Effect, EvidenceKind, Stage, SubjectProcedure
from api.domain.standards import StandardCheck
from api.errors import (
    InvalidTransition,
    NoticePeriodNotElapsed,
    NotPermitted,
    StandardNotMet,
    ValidationFailed,
)


class Status(StrEnum):
    IN_PROGRESS = "in_progress"
    OBJECTED = "objected"
    REJECTED = "rejected"
    EXITED = "exited"


STATUS_ZH = {
    Status.IN_PROGRESS: "办理中",
    Status.OBJECTED: "有异议待处理",
    Status.REJECTED: "不予退出",
    Status.EXITED: "已退出",
}


@dataclass(frozen=True, slots=True)
class State:
    stage: str
    """The stage waiting to be performed (the last one, once the application ends)."""
    status: Status
    notice_started_at: datetime | None = None
    notice_ends_at: datetime | None = None
    performers: Mapping[str, str] = field(default_factory=dict)
    """Who last performed each stage (approved it), by stage code."""


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    effects: tuple[Effect, ...] = ()


def start(
    procedure: SubjectProcedure,
    *,
    actor: str,
    check: StandardCheck,
    evidence: frozenset[EvidenceKind],
) -> Outcome:
    """Propose a subject: performs the first stage, if the subject meets its standard."""
    if not check.met:
        raise StandardNotMet([(s.criterion.value, s.detail) for s in check.shortfalls])
    first = procedure.stages[0]
    _require_evidence(first, evidence)
    state = State(stage=first.code, status=Status.IN_PROGRESS)
    return _advance(procedure, state, first, actor)


def post_notice(
    procedure: SubjectProcedure,
    state: State,
    *,
    stage: str,
    evidence: frozenset[EvidenceKind],
    now: datetime,
) -> State:
    """Post the notice of the current notice stage; its clock starts now.

    The posting itself is the stage's ``notice_posting`` evidence, so it is given here;
    the stage's other evidence comes when it is approved.
    """
    current = _current(procedure, state, stage)
    if not current.is_notice:
        raise InvalidTransition(f"stage {current.code} posts no notice")
    if state.notice_started_at is not None:
        raise InvalidTransition(f"the notice of stage {current.code} is already posted")
    if EvidenceKind.NOTICE_POSTING in current.evidence:
        _require(current, {EvidenceKind.NOTICE_POSTING}, evidence)
    assert current.notice_days is not None
    return replace(
        state, notice_started_at=now, notice_ends_at=now + timedelta(days=current.notice_days)
    )


def perform(
    procedure: SubjectProcedure,
    state: State,
    *,
    stage: str,
    actor: str,
    decision: Decision,
    evidence: frozenset[EvidenceKind],
    now: datetime,
    return_to: str | None = None,
    reason: str | None = None,
) -> Outcome:
    current = _current(procedure, state, stage)
    if decision not in current.decisions:
        allowed = ", ".join(sorted(d.value for d in current.decisions))
        raise InvalidTransition(f"stage {current.code} allows only: {allowed}")
    _separate_duties(procedure, state, current, actor)
    if decision is Decision.APPROVE:
        needed = set(current.evidence)
        if current.is_notice:
            _notice_elapsed(current, state, now)
            needed.discard(EvidenceKind.NOTICE_POSTING)  # given when the notice was posted
        _require(current, needed, evidence)
        return _advance(procedure, state, current, actor)
    if not reason or not reason.strip():
        raise ValidationFailed(f"a {decision} needs a reason", path=("reason",))
    if decision is Decision.REJECT:
        ended = replace(state, status=Status.REJECTED, notice_started_at=None, notice_ends_at=None)
        return Outcome(ended)
    if return_to not in current.returns_to:
        targets = ", ".join(current.returns_to)
        raise ValidationFailed(
            f"stage {current.code} returns only to: {targets}", path=("returnTo",)
        )
    return Outcome(_back_to(state, return_to))


def raise_objection(procedure: SubjectProcedure, state: State, *, now: datetime) -> State:
    """An objection during a notice stops its clock and returns the application."""
    current = procedure.stages[procedure.index_of(state.stage)]
    running = (
        state.status is Status.IN_PROGRESS
        and current.is_notice
        and state.notice_started_at is not None
        and state.notice_ends_at is not None
        and state.notice_started_at <= now < state.notice_ends_at
    )
    if not running:
        raise InvalidTransition("objections are raised while a notice is running")
    assert current.objections_return_to is not None
    return replace(_back_to(state, current.objections_return_to), status=Status.OBJECTED)


@dataclass(frozen=True, slots=True)
class SentBack:
    state: State
    revoked: tuple[Effect, ...] = ()
    """The exit's effects to undo: the subject had exited and is not exited any more."""


def send_back(procedure: SubjectProcedure, state: State, *, to: str) -> SentBack | None:
    """A failed spot check sends the application back to ``to`` for verification.

    An exited application is reopened there and its exit's effects are revoked: the
    exit is found wrong (错退), so the subject is counted poor again until it passes the
    remaining stages once more, in the same application. One still running past ``to``
    goes back to it. None when there is nothing to send back: the application ended
    without an exit, awaits an objection's resolution, or is at or before ``to``
    already. Who performed each stage is kept, so duties stay separated.
    """
    target = procedure.index_of(to)
    if state.status is Status.EXITED:
        return SentBack(_back_to(state, to), procedure.stages[-1].effects)
    if state.status is Status.IN_PROGRESS and procedure.index_of(state.stage) > target:
        return SentBack(_back_to(state, to))
    return None


def resolve_objection(state: State, *, upheld: bool) -> State:
    """Upheld: the subject does not exit. Dismissed: it continues from where it returned."""
    if state.status is not Status.OBJECTED:
        raise InvalidTransition("no objection is pending")
    return replace(state, status=Status.REJECTED if upheld else Status.IN_PROGRESS)


def _current(procedure: SubjectProcedure, state: State, stage: str) -> Stage:
    if state.status is Status.OBJECTED:
        raise InvalidTransition("an objection is pending; resolve it first")
    if state.status is not Status.IN_PROGRESS:
        raise InvalidTransition(f"the application has ended ({state.status})")
    index = procedure.index_of(stage)
    if stage != state.stage:
        raise InvalidTransition(
            f"stage {stage} is out of order: the application waits at {state.stage}"
        )
    return procedure.stages[index]


def _separate_duties(procedure: SubjectProcedure, state: State, current: Stage, actor: str) -> None:
    index = procedure.index_of(current.code)
    if index == 0:
        return
    previous = procedure.stages[index - 1].code
    if state.performers.get(previous) == actor:
        raise NotPermitted(
            f"{actor} performed {previous}, so may not perform {current.code} "
            "(separation of duties)"
        )


def _notice_elapsed(current: Stage, state: State, now: datetime) -> None:
    if state.notice_ends_at is None:
        raise InvalidTransition(f"the notice of stage {current.code} has not been posted")
    if now < state.notice_ends_at:
        raise NoticePeriodNotElapsed(state.notice_ends_at)


def _require_evidence(stage: Stage, evidence: frozenset[EvidenceKind]) -> None:
    _require(stage, set(stage.evidence), evidence)


def _require(stage: Stage, needed: set[EvidenceKind], evidence: frozenset[EvidenceKind]) -> None:
    missing = [kind.value for kind in stage.evidence if kind in needed and kind not in evidence]
    if missing:
        raise ValidationFailed(
            f"stage {stage.code} needs evidence: {', '.join(missing)}", path=("evidence",)
        )


def _advance(procedure: SubjectProcedure, state: State, done: Stage, actor: str) -> Outcome:
    performers = {**state.performers, done.code: actor}
    index = procedure.index_of(done.code)
    if index + 1 == len(procedure.stages):
        ended = State(stage=done.code, status=Status.EXITED, performers=performers)
        return Outcome(ended, done.effects)
    following = procedure.stages[index + 1].code
    return Outcome(State(stage=following, status=Status.IN_PROGRESS, performers=performers))


def _back_to(state: State, stage: str) -> State:
    return State(stage=stage, status=Status.IN_PROGRESS, performers=state.performers)
