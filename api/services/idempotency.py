"""Running a mutation once per idempotency key.

The key, a digest of the request and a reference to the result are written in the same
transaction as the change. A retry with the same key and request finds the record and
returns the same objects, changing nothing; the same key with another request is an
error. Two racing first attempts: the loser's insert fails and it gets Conflict.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select

from api.db.models import (
    EvaluationAssignment,
    ExitApplication,
    ExitList,
    Household,
    IdempotencyRecord,
    Objection,
    RoleAssignment,
    SyncAck,
    WebhookSubscription,
)
from api.domain.register_file import RowError
from api.errors import ValidationFailed
from api.services.household_import import ImportReport
from api.services.proposals import ProposedList
from api.services.webhooks import Created
from api.services.workflow import Env, flush_or_conflict

R = TypeVar("R")
_SINGLE: dict[str, Any] = {
    "application": ExitApplication,
    "objection": Objection,
    "assignment": RoleAssignment,
    "household": Household,
    "ack": SyncAck,
    "webhook": WebhookSubscription,
    "evaluation_assignment": EvaluationAssignment,
}


async def run_once(
    env: Env,
    *,
    subject: str,
    key: str | None,
    mutation: str,
    request: Any,
    work: Callable[[], Awaitable[R]],
) -> R:
    if key is None:
        return await work()
    if not 0 < len(key) <= 100 or not key.isprintable():
        raise ValidationFailed(
            "an idempotency key is 1-100 printable characters", path=("idempotencyKey",)
        )
    digest = _digest(mutation, request)
    prior = await env.session.get(IdempotencyRecord, (subject, key))
    if prior is not None:
        if prior.mutation != mutation or prior.request_digest != digest:
            raise ValidationFailed(
                "this idempotency key was used for a different request", path=("idempotencyKey",)
            )
        replayed: R = await _reload(env, prior.result)
        return replayed
    result = await work()
    env.session.add(
        IdempotencyRecord(
            subject=subject,
            key=key,
            mutation=mutation,
            request_digest=digest,
            result=_ref(result),
            created_at=env.now,
        )
    )
    await flush_or_conflict(env)
    return result


def _digest(mutation: str, request: Any) -> str:
    is_instance = dataclasses.is_dataclass(request) and not isinstance(request, type)
    plain = dataclasses.asdict(request) if is_instance else request
    text = json.dumps([mutation, plain], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _ref(result: Any) -> dict[str, Any]:
    if isinstance(result, ProposedList):
        return {
            "type": "list",
            "id": result.exit_list.id,
            "applications": [a.id for a in result.applications],
        }
    if isinstance(result, Created):
        return {"type": "created_webhook", "id": result.subscription.id}
    if isinstance(result, ImportReport):
        return {"type": "import_report", "value": dataclasses.asdict(result)}
    if isinstance(result, int):
        return {"type": "count", "value": result}
    for name, model in _SINGLE.items():
        if isinstance(result, model):
            return {"type": name, "id": result.id}
    raise TypeError(f"no idempotency reference for {type(result).__name__}")


async def _reload(env: Env, ref: dict[str, Any]) -> Any:
    if ref["type"] == "list":
        exit_list = await env.session.get(ExitList, ref["id"])
        rows = await env.session.scalars(
            select(ExitApplication)
            .where(ExitApplication.id.in_(ref["applications"]))
            .order_by(ExitApplication.id)
        )
        assert exit_list is not None
        return ProposedList(exit_list, list(rows))
    if ref["type"] == "import_report":
        value = dict(ref["value"])
        errors = [RowError(**e) for e in value.pop("errors")]
        return ImportReport(**value, errors=errors)
    if ref["type"] == "count":
        return ref["value"]
    if ref["type"] == "created_webhook":
        subscription = await env.session.get(WebhookSubscription, ref["id"])
        assert subscription is not None
        return Created(subscription, subscription.secret)
    row = await env.session.get(_SINGLE[ref["type"]], ref["id"])
    assert row is not None  # nothing deletes what a mutation made
    return row
