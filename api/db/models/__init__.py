"""ORM models. Import this package to register every table on ``Base.metadata``."""

from api.db.models.access import PolicyState, RoleAssignment
from api.db.models.audit import AuditEvent
from api.db.models.chain import ChainEntry
from api.db.models.evaluations import EvaluationHousehold, EvaluationVillage
from api.db.models.evidence_files import EvidenceFile, EvidenceFileUpload
from api.db.models.idempotency import IdempotencyRecord
from api.db.models.jurisdictions import CountyDesignationRow, Jurisdiction, VillageDesignationRow
from api.db.models.outbox import OutboxEvent, OutboxState, SyncAck
from api.db.models.plans import ExitPlan
from api.db.models.procedures import (
    EvaluationAssignment,
    Evidence,
    ExitApplication,
    ExitList,
    Objection,
    ProcedureVersion,
    StageRecord,
)
from api.db.models.register import Assessment, Household, IncomeRecord, Member
from api.db.models.spot_checks import SpotCheck, SpotCheckSubject
from api.db.models.standards import PovertyStandard
from api.db.models.statistics import UnitStatistics
from api.db.models.villages import VillageIndicators
from api.db.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription

__all__ = [
    "Assessment",
    "AuditEvent",
    "ChainEntry",
    "CountyDesignationRow",
    "DeliveryStatus",
    "EvaluationAssignment",
    "EvaluationHousehold",
    "EvaluationVillage",
    "Evidence",
    "EvidenceFile",
    "EvidenceFileUpload",
    "ExitApplication",
    "ExitList",
    "ExitPlan",
    "Household",
    "IdempotencyRecord",
    "IncomeRecord",
    "Jurisdiction",
    "Member",
    "Objection",
    "OutboxEvent",
    "OutboxState",
    "PolicyState",
    "PovertyStandard",
    "ProcedureVersion",
    "RoleAssignment",
    "SpotCheck",
    "SpotCheckSubject",
    "StageRecord",
    "SyncAck",
    "UnitStatistics",
    "VillageDesignationRow",
    "VillageIndicators",
    "WebhookDelivery",
    "WebhookSubscription",
]
