"""Integrators' webhook subscriptions over GraphQL: list, create, pause/resume, redrive."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.db.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from api.resolvers.context import Context
from api.schema.changes import Change
from api.schema.errors import AnyError
from api.schema.running import KEY, run
from api.services import webhooks

Info = strawberry.Info[Context, None]
MAX_DEAD_LETTERS = 100


@strawberry.type(description="A change that could not be delivered; it holds its subject.")
class DeadLetter:
    change: Change
    attempts: int
    last_error: str | None
    last_status_code: int | None


@strawberry.type(description="Deliveries of one subscription by state.")
class DeliveryCounts:
    pending: int
    delivered: int
    dead: int


@strawberry.type(
    name="WebhookSubscription", description="Where changes are pushed, signed with HMAC-SHA256."
)
class WebhookSubscriptionType:
    id: int
    url: str
    kinds: list[str] = strawberry.field(description="Empty: every kind.")
    jurisdiction: str = strawberry.field(description="Division code of the subtree pushed.")
    active: bool
    enqueued_through: int = strawberry.field(
        description="Feed position up to which deliveries exist."
    )
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> WebhookSubscriptionType:
        return cls(
            id=row.id,
            url=row.url,
            kinds=list(row.kinds),
            jurisdiction=row.unit_code,
            active=row.active,
            enqueued_through=row.enqueued_through,
            created_by=row.created_by,
            created_at=row.created_at,
        )

    @strawberry.field(description="How many deliveries are pending, delivered and dead.")
    async def deliveries(self, info: Info) -> DeliveryCounts:
        counts = await info.context.loaders.details.deliveries.load(self.id)
        return DeliveryCounts(pending=counts.pending, delivered=counts.delivered, dead=counts.dead)

    @strawberry.field(description="The oldest dead letters (at most 100).")
    async def dead_letters(self, info: Info, first: int = 20) -> list[DeadLetter]:
        limit = max(1, min(first, MAX_DEAD_LETTERS))
        rows = await info.context.read(lambda s: webhooks.dead_letters(s, self.id, limit=limit))
        return [_dead_letter(row) for row in rows]


def _dead_letter(row: tuple[WebhookDelivery, OutboxEvent]) -> DeadLetter:
    delivery, event = row
    return DeadLetter(
        change=Change.of(event),
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        last_status_code=delivery.last_status_code,
    )


@strawberry.type
class CreateWebhookSuccess:
    subscription: WebhookSubscriptionType
    secret: str = strawberry.field(
        description="Verify each delivery's Tuopin-Signature with it; shown to you only here."
    )


@strawberry.type
class WebhookSuccess:
    subscription: WebhookSubscriptionType


@strawberry.type
class RedriveSuccess:
    redriven: int = strawberry.field(description="Dead letters queued again.")


CreateWebhookPayload = Annotated[
    CreateWebhookSuccess | AnyError, strawberry.union("CreateWebhookPayload")
]
WebhookPayload = Annotated[WebhookSuccess | AnyError, strawberry.union("WebhookPayload")]
RedrivePayload = Annotated[RedriveSuccess | AnyError, strawberry.union("RedrivePayload")]


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(description="https (plain http in dev mode only).")
    kinds: list[str] = strawberry.field(default_factory=list, description="Empty: every kind.")
    jurisdiction: str | None = strawberry.field(
        default=None, description="A subtree of yours; yours if omitted."
    )
    secret: str | None = strawberry.field(
        default=None, description="At least 16 characters; generated if omitted."
    )
    from_start: bool = strawberry.field(
        default=False, description="Also deliver every change made before now."
    )


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Integrators: push changes to a URL, signed.")
    async def create_webhook_subscription(
        self,
        info: Info,
        input: CreateWebhookInput,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> CreateWebhookPayload:
        allow_http = info.context.plain_http_webhooks
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: webhooks.create(
                env,
                who,
                url=input.url,
                kinds=input.kinds,
                jurisdiction=input.jurisdiction,
                secret=input.secret,
                from_start=input.from_start,
                allow_http=allow_http,
            ),
            lambda done: CreateWebhookSuccess(
                subscription=WebhookSubscriptionType.of(done.subscription), secret=done.secret
            ),
            name="createWebhookSubscription",
            key=idempotency_key,
            request=input,
        )

    @strawberry.mutation(description="Pause (active: false) or resume a subscription.")
    async def set_webhook_active(
        self,
        info: Info,
        id: int,
        active: bool,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> WebhookPayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: webhooks.set_active(env, who, subscription_id=id, active=active),
            lambda row: WebhookSuccess(subscription=WebhookSubscriptionType.of(row)),
            name="setWebhookActive",
            key=idempotency_key,
            request={"id": id, "active": active},
        )

    @strawberry.mutation(description="Queue a subscription's dead letters again, in order.")
    async def redrive_dead_letters(
        self,
        info: Info,
        id: int,
        idempotency_key: Annotated[str | None, KEY] = None,
    ) -> RedrivePayload:
        return await run(  # type: ignore[return-value]
            info,
            lambda env, who: webhooks.redrive(env, who, subscription_id=id),
            lambda n: RedriveSuccess(redriven=n),
            name="redriveDeadLetters",
            key=idempotency_key,
            request={"id": id},
        )


async def subscriptions(info: Info) -> list[WebhookSubscriptionType]:
    principal = info.context.principal
    if principal is None:
        return []
    rows = await info.context.read(
        lambda s: webhooks.visible(s, principal, info.context.authorizer)
    )
    return [WebhookSubscriptionType.of(row) for row in rows]
