"""What an application's stage records say, read in one pass: who approved each stage,
when the application was last sent back, and what was attached to a stage since then.

Pure: the records come in as values (oldest first), as one read of the history fetches
them, so performing a stage asks the database once instead of once per question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from api.domain.procedures import Decision, EvidenceKind

ATTACHING_ACTIONS = ("evaluation", "acknowledgment")
"""Actions that attach evidence to a stage ahead of its approval."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stage record, with the kind of one piece of evidence it attached (if any).

    A record that attached several pieces comes once per piece; any other record once,
    with ``attached`` None.
    """

    stage: str
    action: str
    decision: Decision | None
    actor: str
    at: datetime
    attached: EvidenceKind | None = None


def performers(entries: Iterable[Entry]) -> Mapping[str, str]:
    """Who last approved each stage (later approvals win)."""
    found: dict[str, str] = {}
    for entry in entries:
        if entry.action == "perform" and entry.decision is Decision.APPROVE:
            found[entry.stage] = entry.actor
    return found


def last_reset(entries: Iterable[Entry]) -> datetime | None:
    """When the application was last sent back (a return or an objection)."""
    times = [e.at for e in entries if e.decision is Decision.RETURN or e.action == "objection"]
    return max(times) if times else None


def entered_at(entries: Iterable[Entry]) -> datetime | None:
    """When the application arrived where it waits: the last approval that moved it on,
    or the last time it was sent back (a return, an objection, a failed spot check)."""
    times = [
        e.at
        for e in entries
        if (e.action == "perform" and e.decision is Decision.APPROVE)
        or e.decision is Decision.RETURN
        or e.action == "objection"
    ]
    return max(times) if times else None


def attached_since_reset(entries: Sequence[Entry], stage: str) -> frozenset[EvidenceKind]:
    """Evidence attached to ``stage`` ahead of its approval (evaluations, acknowledgments)
    since the application last entered the stage: a return or an objection asks for it
    again, so what was attached before then no longer counts."""
    since = last_reset(entries)
    return frozenset(
        e.attached
        for e in entries
        if e.attached is not None
        and e.stage == stage
        and e.action in ATTACHING_ACTIONS
        and (since is None or e.at > since)
    )


def acted_since_reset(entries: Sequence[Entry], *, stage: str, action: str, actor: str) -> bool:
    """Whether ``actor`` took ``action`` at ``stage`` since the application was last sent
    back (an evaluator's report, say: the samples behind it are final until then)."""
    since = last_reset(entries)
    return any(
        e.stage == stage
        and e.action == action
        and e.actor == actor
        and (since is None or e.at > since)
        for e in entries
    )
