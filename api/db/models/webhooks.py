"""Webhook subscriptions and the delivery of each outbox event to each of them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, str_enum
from api.db.types import UTCDateTime, big_id, division_code


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class WebhookSubscription(Base):
    """Where to push changes: ``kinds`` empty means every kind; ``unit_code`` is a subtree.

    ``enqueued_through`` is the outbox position up to which deliveries have been
    created for this subscription; the worker advances it in the same transaction.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    unit_code: Mapped[str] = mapped_column(division_code())
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool]
    enqueued_through: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One event to one subscription. Only the oldest undelivered delivery of a subject
    is ever sent, so a subject's events arrive in order; a dead letter holds its subject
    until it is redriven."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "position"),
        Index(
            "ix_webhook_deliveries_subject",
            "subscription_id",
            "subject_kind",
            "subject_key",
            "position",
        ),
        Index("ix_webhook_deliveries_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(big_id(), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(big_id(), ForeignKey("webhook_subscriptions.id"))
    position: Mapped[int] = mapped_column(BigInteger, ForeignKey("outbox_events.position"))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None]
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
