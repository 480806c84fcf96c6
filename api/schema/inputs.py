"""Mutation inputs."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.domain.procedures import Decision, EvidenceKind
from api.domain.register import SubjectKind
from api.domain.roles import Role
from api.errors import ValidationFailed
from api.resolvers.ids import parse_id
from api.schema import enums  # noqa: F401  (registers the labelled enums first)
from api.services.exits import EvidenceInput as ServiceEvidence


@strawberry.input(description="A document backing an action: what it is and its SHA-256.")
class EvidenceInput:
    kind: EvidenceKind
    reference: str = strawberry.field(description="Where the document is kept (file number, URL).")
    sha256: str = strawberry.field(description="64 lower-case hex digits of the document's hash.")

    def to_service(self) -> ServiceEvidence:
        return ServiceEvidence(kind=self.kind, reference=self.reference, sha256=self.sha256)


def evidence_of(items: list[EvidenceInput]) -> list[ServiceEvidence]:
    return [item.to_service() for item in items]


def node_id(value: relay.GlobalID, type_name: str, field: str) -> int:
    """The integer id inside a global ID of ``type_name``; ValidationFailed otherwise."""
    number = parse_id(value.node_id)
    if value.type_name != type_name or number is None:
        raise ValidationFailed(f"{field} must be the id of a {type_name}", path=(field,))
    return number


@strawberry.input
class ProposeExitListInput:
    subject_kind: SubjectKind
    unit_code: str = strawberry.field(description="The unit whose list this is.")
    year: int
    subjects: list[str] = strawberry.field(
        description="Registry numbers of households, or division codes of villages/counties."
    )
    evidence: list[EvidenceInput]


@strawberry.input
class PostNoticeInput:
    application_id: relay.GlobalID
    stage: str
    evidence: list[EvidenceInput]


@strawberry.input
class PerformStageInput:
    application_id: relay.GlobalID
    stage: str
    decision: Decision
    evidence: list[EvidenceInput] = strawberry.field(default_factory=list)
    return_to: str | None = None
    reason: str | None = None


@strawberry.input
class RaiseObjectionInput:
    application_id: relay.GlobalID
    content: str


@strawberry.input
class ResolveObjectionInput:
    objection_id: relay.GlobalID
    upheld: bool
    resolution: str


@strawberry.input
class AssignRoleInput:
    subject: str
    role: Role
    jurisdiction: str = strawberry.field(description="Division code; empty for national roles.")


@strawberry.input
class RevokeRoleInput:
    assignment_id: int


@strawberry.input
class AssignEvaluatorInput:
    application_id: relay.GlobalID
    evaluator: str


@strawberry.input
class SubmitEvaluationInput:
    application_id: relay.GlobalID
    report: EvidenceInput


@strawberry.input
class ReturnToPovertyInput:
    registry_no: str
    year: int


@strawberry.input
class RecordAcknowledgmentInput:
    application_id: relay.GlobalID
    evidence: EvidenceInput = strawberry.field(
        description="The household's signed acknowledgment (kind HOUSEHOLD_ACKNOWLEDGMENT)."
    )
