"""Exit procedures as use cases: propose a list, post a notice, perform a stage,
raise and resolve objections, return a household to poverty.

Every use case: find the subject within the caller's scope (NotFound otherwise),
authorize through Casbin (NotPermitted), let the pure engine decide the step
(InvalidTransition, NoticePeriodNotElapsed, StandardNotMet...), then write the
new state, the stage record, its evidence and a ledger event, and flush. The
caller's unit of work commits; a lost race surfaces as Conflict.

This module gathers them; each lives in a module named for what it holds.
"""

from __future__ import annotations

from api.domain.engine import Status
from api.services.objections import raise_objection, resolve_objection
from api.services.poverty_returns import return_to_poverty
from api.services.proposals import ProposedList, propose
from api.services.stages import perform, post_notice, record_acknowledgment
from api.services.workflow import (
    ATTACH_ONLY,
    Env,
    EvidenceInput,
    application,
    check_evidence,
    china_today,
    flush_or_conflict,
    procedure_of,
    record_action,
    snapshot,
)

__all__ = [
    "ATTACH_ONLY",
    "Env",
    "EvidenceInput",
    "ProposedList",
    "Status",
    "application",
    "check_evidence",
    "china_today",
    "flush_or_conflict",
    "perform",
    "post_notice",
    "procedure_of",
    "propose",
    "raise_objection",
    "record_acknowledgment",
    "record_action",
    "resolve_objection",
    "return_to_poverty",
    "snapshot",
]
