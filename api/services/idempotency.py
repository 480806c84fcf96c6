"""Running a mutation once per idempotency key.

The key, a digest of the request and a reference to the result are written in the same
transaction as the change. A retry with the same key and request finds the record and
returns the same objects, changing nothing; the same key with another request is an
error.

The key is claimed first (``INSERT … ON CONFLICT DO NOTHING``), before the work. A retry
that races the first attempt waits on that row: PostgreSQL holds a concurrent insert of
the same key until the first transaction ends, and SQLite runs one write at a time. If
the first commits, the retry finds its record and returns its result; if it rolls back,
the retry claims the key and does the work itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

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
from api.errors import Conflict, ValidationFailed
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
    if not await _claim(env, subject=subject, key=key, mutation=mutation, digest=digest):
        prior = await env.session.get(IdempotencyRecord, (subject, key))
        if prior is None:  # claimed by a transaction this one cannot see yet
            raise Conflict("this idempotency key is in use by a request still running; retry")
        if prior.mutation != mutation or prior.request_digest != digest:
            raise ValidationFailed(
                "this idempotency key was used for a different request", path=("idempotencyKey",)
            )
        replayed: R = await _reload(env, prior.result)
        return replayed
    result = await work()
    await flush_or_conflict(env)
    await env.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.subject == subject, IdempotencyRecord.key == key)
        .values(result=_ref(result))
    )
    return result


async def _claim(env: Env, *, subject: str, key: str, mutation: str, digest: str) -> bool:
    """Insert the key's record unless it exists; True when this transaction holds it.

    Its result is written when the work is done, in the same transaction: nobody else
    sees the record before then.
    """
    dialect = env.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = await env.session.execute(
        insert(IdempotencyRecord)
        .values(
            subject=subject,
            key=key,
            mutation=mutation,
            request_digest=digest,
            result={"type": "running"},
            created_at=env.now,
        )
        .on_conflict_do_nothing(index_elements=["subject", "key"])
        .returning(IdempotencyRecord.key)
    )
    return claimed.first() is not None


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
