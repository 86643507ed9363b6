"""Third-party apps, the residents' consents to them, and OAuth authorization codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class App(Base):
    """A registered third-party app. Its secret is kept only as a SHA-256 (it is 256 random bits)."""

    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # Space-separated: the most this app may ever be granted.
    scopes: Mapped[str] = mapped_column(String(500))
    # Newline-separated exact redirect URIs for the authorization code flow.
    redirect_uris: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppGrant(Base):
    """A resident's consent that an app acts for them with some scopes; revoked by the resident."""

    __tablename__ = "app_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("app_id", "account_id"),)


class AuthorizationCode(Base):
    """A one-time code of the authorization code flow, bound to a PKCE challenge (S256)."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(500))
    redirect_uri: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppWebhook(Base):
    """An app's subscription to public feedback events, delivered signed to `url`.

    The secret must be kept in clear: it signs every delivery (HMAC-SHA256), so a hash would not do.
    """

    __tablename__ = "app_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    # Space-separated event types, e.g. "feedback.assigned feedback.status_changed".
    events: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppWebhookDelivery(Base):
    """One event for one webhook: its payload, and every attempt's outcome (the app's delivery log)."""

    __tablename__ = "app_webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("app_webhooks.id", ondelete="CASCADE"), index=True)
    outbox_event_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")  # PENDING | DELIVERED | FAILED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A process sending it holds it until then; past that, another may take it over (a crash lost nothing).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("webhook_id", "outbox_event_id"),
        Index("ix_app_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )


class WebhookRelayFloor(Base):
    """One row: outbox events up to this id predate webhooks and are never relayed."""

    __tablename__ = "app_webhook_relay_floor"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, default=0)


class WebhookRelayedEvent(Base):
    """An outbox event the relay has turned into deliveries. A row per event rather than a cursor:
    ids are allotted at insert but committed in any order, so a cursor could step over a late commit."""

    __tablename__ = "app_webhook_relayed_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
