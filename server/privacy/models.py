"""The data access log. Append-only: no service updates or deletes it, and the database refuses to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class DataAccessEvent(Base):
    __tablename__ = "data_access_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    accessor_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # The agency the accessor acted for, kept as it was at the time.
    accessor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    what: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(400))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_data_access_events_owner_occurred", "owner_account_id", "occurred_at"),)
