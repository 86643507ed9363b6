"""Feedback tables. Relationships are lazy="raise": a read path that forgets to load one fails loudly."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory
    from server.identity.models import Account


class Feedback(Base):
    """One report (phản ánh hiện trường) and where it stands."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    # PA-YYYY-NNNNNN, set right after the insert from the row's id (unique without a counter table).
    reference_code: Mapped[str | None] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("feedback_categories.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(400))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_units.id"), index=True)
    author_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Kept in the row so MOST_SUPPORTED orders by an indexed column, not by a count per page.
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # Folded title, description, address and reference code (server.text.fold) for search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    photos: Mapped[list[FeedbackPhoto]] = relationship(
        primaryjoin="and_(Feedback.id == FeedbackPhoto.feedback_id, FeedbackPhoto.event_id.is_(None))",
        order_by="FeedbackPhoto.position",
        lazy="raise",
        viewonly=True,
    )
    events: Mapped[list[FeedbackEvent]] = relationship(
        back_populates="feedback", order_by="FeedbackEvent.id", lazy="raise"
    )
    # Read-only views of the foreign keys, for eager loading on read paths; writes set the *_id columns.
    category: Mapped[FeedbackCategory] = relationship(lazy="raise", viewonly=True)
    unit: Mapped[AdministrativeUnit | None] = relationship(lazy="raise", viewonly=True)
    assigned_agency: Mapped[Agency | None] = relationship(lazy="raise", viewonly=True)
    author: Mapped[Account | None] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        UniqueConstraint("author_account_id", "idempotency_key", name="uq_feedback_author_idempotency_key"),
        Index("ix_feedback_lat_lon", "latitude", "longitude"),
        Index("ix_feedback_support_count", "support_count"),
    )


class FeedbackEvent(Base):
    """One entry of a feedback's timeline. Only ever appended."""

    __tablename__ = "feedback_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # The agency a cadre acted for at the time (a cadre may later move to another agency).
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    feedback: Mapped[Feedback] = relationship(back_populates="events", lazy="raise")
    photos: Mapped[list[FeedbackPhoto]] = relationship(order_by="FeedbackPhoto.position", lazy="raise")


class FeedbackPhoto(Base):
    """A stored photo: of the report itself (event_id null) or of one timeline event."""

    __tablename__ = "feedback_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_events.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Names under DATA_DIR/media (content-addressed: ab/<sha256 rest>.jpg).
    path: Mapped[str] = mapped_column(String(80))
    thumbnail_path: Mapped[str] = mapped_column(String(80))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackSupport(Base):
    """ "Me too": one per account and feedback."""

    __tablename__ = "feedback_supports"

    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_feedback_supports_account_id", "account_id"),)


class FeedbackFollow(Base):
    """An account that wants to hear about every change of a feedback."""

    __tablename__ = "feedback_follows"

    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_feedback_follows_account_id", "account_id"),)
