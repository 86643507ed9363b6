"""Notification tables: the outbox, per-recipient notifications, announcements, push subscriptions,
preferences, and the dispatcher's lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class OutboxEvent(Base):
    """Something happened that should reach people. Written in the same transaction as the change itself,
    so a change never commits without its event, and an event never exists without its change."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # NotificationKind name: FEEDBACK_UPDATE, ANNOUNCEMENT, ...
    subject_type: Mapped[str] = mapped_column(String(32))  # GraphQL type name of the subject, e.g. Feedback
    subject_id: Mapped[int] = mapped_column(Integer)
    # What the texts are made of (server/notify/texts.py); never personal data beyond what recipients see.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who should hear of it (server/notify/audience.py), resolved when the event is dispatched.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once its notification rows exist (step 1 of dispatch).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once its notifications were handed to live subscribers and the push sender (step 2).
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_events_dispatched_at", "dispatched_at"),
        Index("ix_outbox_events_delivered_at", "delivered_at"),
        # The app-webhook relay reads only Feedback events (server/apps/webhooks.py relay), in id order.
        Index("ix_outbox_events_subject_type_id", "subject_type", "id"),
    )


class Notification(Base):
    """One event as one recipient's inbox shows it. Texts are rendered when read, in the reader's language."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # At least once delivery, yet one notification per recipient and event: a repeated dispatch
        # of the same event inserts nothing new.
        UniqueConstraint("event_id", "account_id", name="uq_notifications_event_account"),
        Index("ix_notifications_account_id_id", "account_id", "id"),
        Index("ix_notifications_account_id_read_at", "account_id", "read_at"),
    )


class Announcement(Base):
    """An area warning or notice from an agency (or an admin) to the residents of some units."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))  # INFO | WARNING | EMERGENCY
    issuer_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    issuer_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    # True when it targets no unit: the whole province.
    province_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AnnouncementUnit(Base):
    """A unit an announcement targets (it also reaches every unit below it in the tree)."""

    __tablename__ = "announcement_units"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("administrative_units.id"), primary_key=True)

    __table_args__ = (Index("ix_announcement_units_unit_id", "unit_id"),)


class PushSubscription(Base):
    """A browser's Web Push endpoint with its encryption keys (RFC 8291)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationPreference(Base):
    """Whether notifications of one kind also come by push, for one account (no row: yes)."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    push: Mapped[bool] = mapped_column(Boolean, default=True)


class DispatcherLease(Base):
    """Which process dispatches the outbox, until when. One dispatcher at a time across processes."""

    __tablename__ = "dispatcher_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushDelivery(Base):
    """A push message still owed to one browser: written with the notification rows (dispatch step 1),
    deleted once the push service accepted it (or the subscription is gone, or it was given up on).
    A restart loses nothing: the push worker picks up whatever rows are due."""

    __tablename__ = "push_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may (next) try it. A worker claims a row by moving this past its send's end, so a
    # crashed worker's claim simply falls due again.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("notification_id", "subscription_id", name="uq_push_deliveries_notification"),
    )
