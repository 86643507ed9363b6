"""Accounts and the credentials around them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised national form of a Vietnamese mobile number, e.g. 0912345678.
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    national_id: Mapped[str | None] = mapped_column(String(12), index=True)
    national_id_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    role: Mapped[str] = mapped_column(String(16), default="CITIZEN")  # CITIZEN | CADRE | ADMIN
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    home_unit_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_units.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="VI")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RefreshToken(Base):
    """One issued refresh token. Only its SHA-256 is kept; a family is one sign-in's chain of rotations."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a third-party app holds the token (authorization code flow), with the scopes it was granted.
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str | None] = mapped_column(String(500))


class LoginFailure(Base):
    """A failed sign-in for a phone number; counted over a sliding window to throttle guessing."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failures_phone_failed_at", "phone", "failed_at"),)
