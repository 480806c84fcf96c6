"""Every field of the schema, classified. Nothing is exposed by default.

A field missing here fails ``tests/api/test_field_access.py``, so adding a field means
deciding, in this file, who may read it.

- ``PUBLIC``: anyone who reaches the object may read it (the division table; errors;
  procedure definitions).
- ``SCOPED``: the object is reachable only through reads scoped in SQL to the viewer's
  jurisdiction (repository predicates, ``resolve_nodes``), so its fields are the
  viewer's to read.
- ``MASKED``: personal data, shown in full only to viewers whose jurisdiction contains
  the household's township (``api/resolvers/privacy.py``), masked otherwise.
- ``VIEWER``: facts about the caller.
- ``ROOT``: an entry point; what it returns is scoped by the resolver.
- ``ACTION``: a mutation, authorized per action through Casbin in its service.
"""

from __future__ import annotations

from enum import StrEnum


class Access(StrEnum):
    PUBLIC = "public"
    SCOPED = "scoped"
    MASKED = "masked"
    VIEWER = "viewer"
    ROOT = "root"
    ACTION = "action"


PUBLIC, SCOPED, MASKED = Access.PUBLIC, Access.SCOPED, Access.MASKED
VIEWER, ROOT, ACTION = Access.VIEWER, Access.ROOT, Access.ACTION

FIELDS: dict[str, dict[str, Access]] = {
    "ApplicationConnection": {
        "edges": SCOPED,
        "pageInfo": SCOPED,
        "totalCount": SCOPED,
    },
    "ApplicationEdge": {
        "cursor": SCOPED,
        "node": SCOPED,
    },
    "ApplicationSuccess": {
        "application": SCOPED,
    },
    "ConflictError": {
        "message": PUBLIC,
    },
    "CriterionFailure": {
        "criterion": PUBLIC,
        "detail": PUBLIC,
    },
    "Error": {
        "message": PUBLIC,
    },
    "EvidenceItem": {
        "kind": SCOPED,
        "reference": SCOPED,
        "sha256": SCOPED,
    },
    "ExitApplication": {
        "household": SCOPED,
        "auditTrail": SCOPED,
        "createdAt": SCOPED,
        "currentStage": SCOPED,
        "designation": SCOPED,
        "evaluations": SCOPED,
        "evidence": SCOPED,
        "history": SCOPED,
        "id": SCOPED,
        "nextStep": SCOPED,
        "noticeEndsAt": SCOPED,
        "noticeStartedAt": SCOPED,
        "objections": SCOPED,
        "procedure": SCOPED,
        "stages": SCOPED,
        "status": SCOPED,
        "subjectKey": SCOPED,
        "subjectKind": SCOPED,
        "unitCode": SCOPED,
        "updatedAt": SCOPED,
        "year": SCOPED,
    },
    "ExitList": {
        "applications": SCOPED,
        "id": SCOPED,
    },
    "Household": {
        "syncStatus": SCOPED,
        "assessments": SCOPED,
        "incomes": SCOPED,
        "attribute": SCOPED,
        "county": SCOPED,
        "currentApplication": SCOPED,
        "exitAttribute": SCOPED,
        "exitedYear": SCOPED,
        "headName": SCOPED,
        "id": SCOPED,
        "mainCause": SCOPED,
        "members": SCOPED,
        "perCapitaNetIncome": SCOPED,
        "phone": MASKED,
        "registeredYear": SCOPED,
        "registryNo": SCOPED,
        "size": SCOPED,
        "standardCheck": SCOPED,
        "standardKind": SCOPED,
        "village": SCOPED,
        "villageCode": SCOPED,
        "villagerGroup": SCOPED,
    },
    "HouseholdConnection": {
        "edges": SCOPED,
        "pageInfo": SCOPED,
        "totalCount": SCOPED,
    },
    "HouseholdEdge": {
        "cursor": SCOPED,
        "node": SCOPED,
    },
    "HouseholdSuccess": {
        "household": SCOPED,
    },
    "Incidence": {
        "exitCheck": SCOPED,
        "percent": SCOPED,
        "poorPopulation": SCOPED,
        "ruralPopulation": SCOPED,
        "year": SCOPED,
    },
    "InvalidTransitionError": {
        "message": PUBLIC,
    },
    "Jurisdiction": {
        "syncStatus": SCOPED,
        "exitPlans": SCOPED,
        "poorCounty": PUBLIC,
        "poorVillage": PUBLIC,
        "children": PUBLIC,
        "code": PUBLIC,
        "households": SCOPED,
        "id": PUBLIC,
        "incidence": SCOPED,
        "level": PUBLIC,
        "name": PUBLIC,
        "parent": PUBLIC,
        "parentCode": PUBLIC,
    },
    "Member": {
        "id": SCOPED,
        "education": SCOPED,
        "ethnicity": SCOPED,
        "health": SCOPED,
        "idNumber": MASKED,
        "joinedYear": SCOPED,
        "labourCapacity": SCOPED,
        "leftYear": SCOPED,
        "medicalInsurance": SCOPED,
        "migrantWorkMonths": SCOPED,
        "name": SCOPED,
        "pensionInsurance": SCOPED,
        "relation": SCOPED,
        "schooling": SCOPED,
        "seriousIllnessInsurance": SCOPED,
        "seriousIllnessTreated": SCOPED,
    },
    "Mutation": {
        "acknowledgeChange": ACTION,
        "recordAcknowledgment": ACTION,
        "assignEvaluator": ACTION,
        "assignRole": ACTION,
        "performStage": ACTION,
        "postNotice": ACTION,
        "proposeExitList": ACTION,
        "raiseObjection": ACTION,
        "resolveObjection": ACTION,
        "returnToPoverty": ACTION,
        "revokeRole": ACTION,
        "submitEvaluation": ACTION,
        "createWebhookSubscription": ACTION,
        "setWebhookActive": ACTION,
        "redriveDeadLetters": ACTION,
        "importHouseholds": ACTION,
        "recordEvaluationVillage": ACTION,
        "removeEvaluationVillage": ACTION,
    },
    "NextStep": {
        "action": PUBLIC,
        "notBefore": PUBLIC,
        "roles": PUBLIC,
        "stage": PUBLIC,
    },
    "Node": {
        "id": PUBLIC,
    },
    "NotFoundError": {
        "key": PUBLIC,
        "kind": PUBLIC,
        "message": PUBLIC,
    },
    "NotPermittedError": {
        "message": PUBLIC,
    },
    "NoticePeriodNotElapsedError": {
        "endsAt": PUBLIC,
        "message": PUBLIC,
    },
    "Objection": {
        "content": SCOPED,
        "id": SCOPED,
        "outcome": SCOPED,
        "raisedAt": SCOPED,
        "resolution": SCOPED,
        "resolvedAt": SCOPED,
        "stage": SCOPED,
    },
    "ObjectionSuccess": {
        "objection": SCOPED,
    },
    "PageInfo": {
        "endCursor": PUBLIC,
        "hasNextPage": PUBLIC,
    },
    "ProposeExitListSuccess": {
        "list": SCOPED,
    },
    "Query": {
        "changes": ROOT,
        "postedNotices": ROOT,
        "povertyStandards": ROOT,
        "applications": ROOT,
        "jurisdiction": ROOT,
        "node": ROOT,
        "provinces": ROOT,
        "viewer": ROOT,
        "webhookSubscriptions": ROOT,
    },
    "RoleAssignment": {
        "grantedAt": SCOPED,
        "grantedBy": SCOPED,
        "id": SCOPED,
        "jurisdiction": SCOPED,
        "revokedAt": SCOPED,
        "role": SCOPED,
        "subject": SCOPED,
    },
    "RoleAssignmentSuccess": {
        "assignment": SCOPED,
    },
    "Shortfall": {
        "criterion": PUBLIC,
        "detail": PUBLIC,
        "label": PUBLIC,
    },
    "StageInfo": {
        "code": PUBLIC,
        "en": PUBLIC,
        "noticeDays": PUBLIC,
        "requiredEvidence": PUBLIC,
        "zh": PUBLIC,
    },
    "StageRecord": {
        "id": SCOPED,
        "action": SCOPED,
        "actor": SCOPED,
        "actorJurisdiction": SCOPED,
        "actorRole": SCOPED,
        "at": SCOPED,
        "decision": SCOPED,
        "reason": SCOPED,
        "returnTo": SCOPED,
        "stage": SCOPED,
    },
    "StandardCheck": {
        "met": PUBLIC,
        "shortfalls": PUBLIC,
    },
    "StandardNotMetError": {
        "criteria": PUBLIC,
        "message": PUBLIC,
    },
    "ValidationFailedError": {
        "message": PUBLIC,
        "path": PUBLIC,
    },
    "Viewer": {
        "holdings": VIEWER,
        "inbox": VIEWER,
        "jurisdiction": VIEWER,
        "jurisdictionCode": VIEWER,
        "role": VIEWER,
        "roleLabel": VIEWER,
        "subject": VIEWER,
    },
    "Assessment": {
        "id": SCOPED,
        "assessedOn": SCOPED,
        "assessorName": SCOPED,
        "assessorRole": SCOPED,
        "compulsoryEducationAssured": SCOPED,
        "drinkingWaterSafe": SCOPED,
        "evidence": SCOPED,
        "foodAndClothingAssured": SCOPED,
        "housingGrade": SCOPED,
        "medicalInsuranceEnrolled": SCOPED,
        "year": SCOPED,
    },
    "AuditEvent": {
        "id": SCOPED,
        "action": SCOPED,
        "actor": SCOPED,
        "actorJurisdiction": SCOPED,
        "actorRole": SCOPED,
        "at": SCOPED,
        "detail": SCOPED,
        "evidenceHashes": SCOPED,
    },
    "ExitPlan": {
        "id": SCOPED,
        "document": SCOPED,
        "plannedCount": SCOPED,
        "plannedPopulation": SCOPED,
        "subjectKind": SCOPED,
        "year": SCOPED,
    },
    "IncomeRecord": {
        "id": SCOPED,
        "amount": SCOPED,
        "kind": SCOPED,
        "note": SCOPED,
        "recordedAt": SCOPED,
        "year": SCOPED,
    },
    "PoorCounty": {
        "designatedYear": PUBLIC,
        "designation": PUBLIC,
        "exitedOn": PUBLIC,
        "regionClass": PUBLIC,
    },
    "PoorVillage": {
        "designatedYear": PUBLIC,
        "designation": PUBLIC,
        "exitedOn": PUBLIC,
    },
    "PovertyStandard": {
        "id": PUBLIC,
        "amount": PUBLIC,
        "appliesTo": PUBLIC,
        "kind": PUBLIC,
        "source": PUBLIC,
        "year": PUBLIC,
    },
    "PostedNotice": {
        "applicationId": PUBLIC,
        "endsAt": PUBLIC,
        "headName": PUBLIC,
        "postedAt": PUBLIC,
        "stage": PUBLIC,
        "subjectKind": PUBLIC,
        "unit": PUBLIC,
        "unitCode": PUBLIC,
        "villagerGroup": PUBLIC,
    },
    "PostedNoticePage": {
        "notices": PUBLIC,
        "pageInfo": PUBLIC,
    },
    "Holding": {
        "grantedAt": VIEWER,
        "jurisdictionCode": VIEWER,
        "role": VIEWER,
    },
    "Change": {
        "createdAt": SCOPED,
        "eventId": SCOPED,
        "kind": SCOPED,
        "payload": SCOPED,
        "position": SCOPED,
        "schemaVersion": SCOPED,
        "subjectKey": SCOPED,
        "subjectKind": SCOPED,
        "unitCode": SCOPED,
    },
    "ChangePage": {
        "changes": SCOPED,
        "pageInfo": SCOPED,
    },
    "SyncAnswer": {
        "accepted": SCOPED,
        "at": SCOPED,
        "position": SCOPED,
        "reason": SCOPED,
    },
    "SyncStatus": {
        "answer": SCOPED,
        "lastChange": SCOPED,
    },
    "AcknowledgeChangeSuccess": {
        "answer": SCOPED,
    },
    "WebhookSubscription": {
        "active": SCOPED,
        "createdAt": SCOPED,
        "createdBy": SCOPED,
        "deadLetters": SCOPED,
        "deliveries": SCOPED,
        "enqueuedThrough": SCOPED,
        "id": SCOPED,
        "jurisdiction": SCOPED,
        "kinds": SCOPED,
        "url": SCOPED,
    },
    "DeliveryCounts": {
        "dead": SCOPED,
        "delivered": SCOPED,
        "pending": SCOPED,
    },
    "DeadLetter": {
        "attempts": SCOPED,
        "change": SCOPED,
        "lastError": SCOPED,
        "lastStatusCode": SCOPED,
    },
    "CreateWebhookSuccess": {
        "secret": SCOPED,
        "subscription": SCOPED,
    },
    "WebhookSuccess": {
        "subscription": SCOPED,
    },
    "RedriveSuccess": {
        "redriven": SCOPED,
    },
    "ImportHouseholdsSuccess": {
        "created": SCOPED,
        "errors": SCOPED,
        "rejected": SCOPED,
        "rows": SCOPED,
        "unchanged": SCOPED,
        "updated": SCOPED,
        "written": SCOPED,
    },
    "CountyEvaluation": {
        "assignedAt": SCOPED,
        "evaluator": SCOPED,
        "indicators": SCOPED,
        "passed": SCOPED,
        "regionClass": SCOPED,
        "samples": SCOPED,
    },
    "EvaluationIndicator": {
        "code": SCOPED,
        "comparison": SCOPED,
        "denominator": SCOPED,
        "detail": SCOPED,
        "label": SCOPED,
        "met": SCOPED,
        "numerator": SCOPED,
        "threshold": SCOPED,
        "value": SCOPED,
    },
    "EvaluationVillage": {
        "households": SCOPED,
        "ruralPopulation": SCOPED,
        "villageCode": SCOPED,
    },
    "EvaluationHousehold": {
        "exited": SCOPED,
        "finding": SCOPED,
        "foundPoor": SCOPED,
        "people": SCOPED,
        "recognisesExit": SCOPED,
        "registered": SCOPED,
        "surveyNo": SCOPED,
    },
    "RecordEvaluationSuccess": {
        "evaluation": SCOPED,
    },
    "RowError": {
        "column": SCOPED,
        "reason": SCOPED,
        "row": SCOPED,
    },
}
