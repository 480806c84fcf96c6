"""What each kind of fact in the chain holds: its columns, and how to read it back.

A fact's content is built the same way when it is chained (from the values written)
and when it is verified (from the rows as they are now), so a changed row shows.
``LIVE`` facts are checked against their rows; a snapshot fact (the samples behind a
submitted evaluation, which a later round may record again) is its entry alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from api.db.models import (
    EvaluationAssignment,
    EvaluationHousehold,
    EvaluationVillage,
    Evidence,
    Objection,
    SpotCheck,
    SpotCheckSubject,
    StageRecord,
    SyncAck,
)

STAGE_RECORD = (
    "application_id",
    "stage",
    "action",
    "decision",
    "return_to",
    "reason",
    "actor_subject",
    "actor_role",
    "actor_jurisdiction",
    "at",
)
EVIDENCE = ("kind", "reference", "sha256")
OBJECTION = ("application_id", "stage", "content", "raised_by", "raised_at")
RESOLUTION = ("application_id", "outcome", "resolution", "resolved_by", "resolved_at")
SPOT_CHECK = (
    "subject_kind",
    "basis",
    "unit_code",
    "year",
    "method",
    "seed",
    "requested_count",
    "requested_share",
    "size",
    "frame_size",
    "frame_sha256",
    "drawn_by",
    "drawn_role",
    "drawn_jurisdiction",
    "drawn_at",
)
FRAME = ("subject_key", "application_id", "unit_code", "sample_rank")
FINDING = (
    "spot_check_id",
    "subject_key",
    "application_id",
    "result",
    "failed_criteria",
    "note",
    "evidence",
    "returned_to",
    "recorded_by",
    "recorded_role",
    "recorded_at",
)
ASSIGNMENT = ("application_id", "evaluator", "assigned_by", "assigned_at")
ACK = ("position", "accepted", "reason", "by", "at")
SAMPLE_VILLAGE = ("village_code", "rural_population")
SAMPLE_HOUSEHOLD = ("survey_no", "people", "registered", "exited", "found_poor", "recognises")


def pick(values: Mapping[str, Any] | object, columns: Sequence[str]) -> dict[str, Any]:
    """The named values of a mapping or of a row object."""
    if isinstance(values, Mapping):
        return {c: values[c] for c in columns}
    return {c: getattr(values, c) for c in columns}


def stage_record(record: object, evidence: Sequence[object]) -> dict[str, Any]:
    return {**pick(record, STAGE_RECORD), "evidence": [pick(e, EVIDENCE) for e in evidence]}


def spot_check(check: object, frame: Sequence[object]) -> dict[str, Any]:
    rows = sorted((pick(f, FRAME) for f in frame), key=lambda f: str(f["subject_key"]))
    return {**pick(check, SPOT_CHECK), "frame": rows}


def samples(villages: Sequence[tuple[object, Sequence[object]]]) -> dict[str, Any]:
    """An evaluator's samples at submission: villages by code, households by number."""
    listed = [
        {
            **pick(village, SAMPLE_VILLAGE),
            "households": sorted(
                (pick(h, SAMPLE_HOUSEHOLD) for h in households),
                key=lambda h: str(h["survey_no"]),
            ),
        }
        for village, households in villages
    ]
    return {"villages": sorted(listed, key=lambda v: str(v["village_code"]))}


@dataclass(frozen=True, slots=True)
class Live:
    """Reads a live fact's records back: (record id, application id, content)."""

    table: str
    statement: Select[Any]
    """Selects the id, then the content's columns, of every record the fact covers."""
    columns: Sequence[str]

    def records(
        self, session: Session, *, batch: int = 5_000
    ) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        after = 0
        id_column: ColumnElement[int] = self.statement.selected_columns[0]
        while True:
            rows = session.execute(
                self.statement.where(id_column > after).order_by(id_column).limit(batch)
            ).all()
            if not rows:
                return
            yield [(row[0], dict(zip(self.columns, row[1:], strict=True))) for row in rows]
            after = rows[-1][0]


def _live(table: str, model: Any, columns: Sequence[str], *where: Any) -> Live:
    statement = select(model.id, *(getattr(model, c) for c in columns)).where(*where)
    return Live(table, statement, columns)


LIVE: dict[str, Live] = {
    "stage_record": _live("stage_records", StageRecord, STAGE_RECORD),
    "objection": _live("objections", Objection, OBJECTION),
    "objection_resolution": _live(
        "objections", Objection, RESOLUTION, Objection.outcome.is_not(None)
    ),
    "spot_check": _live("spot_checks", SpotCheck, SPOT_CHECK),
    "spot_check_finding": _live(
        "spot_check_subjects", SpotCheckSubject, FINDING, SpotCheckSubject.result.is_not(None)
    ),
    "evaluation_assignment": _live("evaluation_assignments", EvaluationAssignment, ASSIGNMENT),
    "sync_ack": _live("sync_acks", SyncAck, ACK),
}
"""Facts whose rows must still say what their entries say; every such row has one."""


def completed(
    session: Session, fact: str, batch: list[tuple[int, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """A batch of live records with their parts (a record's evidence, a check's frame)."""
    ids = [record_id for record_id, _ in batch]
    if fact == "stage_record":
        parts = _children(session, Evidence, Evidence.stage_record_id, ids, EVIDENCE)
        return [(i, stage_record(c, parts.get(i, []))) for i, c in batch]
    if fact == "spot_check":
        frames = _children(session, SpotCheckSubject, SpotCheckSubject.spot_check_id, ids, FRAME)
        return [(i, spot_check(c, frames.get(i, []))) for i, c in batch]
    return batch


def _children(
    session: Session, model: Any, parent: Any, ids: list[int], columns: Sequence[str]
) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    rows = session.execute(
        select(parent, *(getattr(model, c) for c in columns))
        .where(parent.in_(ids))
        .order_by(parent, model.id)
    )
    for row in rows:
        found.setdefault(row[0], []).append(dict(zip(columns, row[1:], strict=True)))
    return found


def samples_of(session: Session, assignment_id: int) -> dict[str, Any]:
    """The samples an assignment has recorded, as ``samples`` holds them."""
    villages = list(
        session.scalars(
            select(EvaluationVillage).where(EvaluationVillage.assignment_id == assignment_id)
        )
    )
    households: dict[int, list[EvaluationHousehold]] = {v.id: [] for v in villages}
    if villages:
        rows = session.scalars(
            select(EvaluationHousehold).where(
                EvaluationHousehold.village_sample_id.in_(list(households))
            )
        )
        for row in rows:
            households[row.village_sample_id].append(row)
    return samples([(v, households[v.id]) for v in villages])
