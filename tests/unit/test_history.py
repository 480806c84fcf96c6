"""Reading an application's history: performers, the last return, what still counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.domain.history import Entry, attached_since_reset, last_reset, performers
from api.domain.procedures import Decision, EvidenceKind

T = datetime(2016, 11, 1, 9, tzinfo=UTC)
ACK = EvidenceKind.HOUSEHOLD_ACKNOWLEDGMENT
REPORT = EvidenceKind.EVALUATION_REPORT


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def test_performers_are_the_last_approvers_of_each_stage() -> None:
    entries = [
        Entry("appraisal", "perform", Decision.APPROVE, "a", at(0)),
        Entry("verification", "perform", Decision.RETURN, "b", at(1)),
        Entry("appraisal", "perform", Decision.APPROVE, "c", at(2)),
        Entry("verification", "post_notice", None, "d", at(3)),
        Entry("verification", "acknowledgment", None, "e", at(4), ACK),
    ]
    assert performers(entries) == {"appraisal": "c"}
    assert performers([]) == {}


def test_the_last_reset_is_the_latest_return_or_objection() -> None:
    assert last_reset([Entry("appraisal", "perform", Decision.APPROVE, "a", at(0))]) is None
    entries = [
        Entry("village_notice", "objection", None, "public", at(5)),
        Entry("verification", "perform", Decision.RETURN, "b", at(3)),
        Entry("appraisal", "perform", Decision.REJECT, "b", at(9)),
    ]
    assert last_reset(entries) == at(5)


def test_only_attachments_to_the_stage_since_the_last_reset_count() -> None:
    entries = [
        Entry("verification", "acknowledgment", None, "t", at(1), ACK),
        Entry("verification", "perform", Decision.RETURN, "t", at(2)),
        Entry("verification", "evaluation", None, "x", at(3), REPORT),
        Entry("village_notice", "acknowledgment", None, "t", at(4), ACK),
        # Evidence given with a performance is not "attached ahead": it never carries over.
        Entry("verification", "perform", Decision.APPROVE, "t", at(5), ACK),
    ]
    assert attached_since_reset(entries, "verification") == frozenset({REPORT})
    assert attached_since_reset(entries, "village_notice") == frozenset({ACK})
    assert attached_since_reset(entries[:1], "verification") == frozenset({ACK})


def test_an_attachment_at_the_instant_of_the_reset_is_stale() -> None:
    entries = [
        Entry("verification", "acknowledgment", None, "t", at(2), ACK),
        Entry("verification", "perform", Decision.RETURN, "t", at(2)),
    ]
    assert attached_since_reset(entries, "verification") == frozenset()
