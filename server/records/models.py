"""Dossiers and their status events, as the provincial integration platform (LGSP) reports them.

A dossier is not linked to an account by a foreign key: it belongs to whichever account has a VERIFIED
national ID equal to `citizen_national_id`, decided when it is read. So verifying an account later reveals
the dossiers that arrived before, and no re-linking job is needed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

TERMINAL_STATUSES = frozenset({"COMPLETED", "REJECTED", "WITHDRAWN"})


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The one-stop-shop system's code, e.g. 000.00.12.H03-261125-0001: one row a code.
    code: Mapped[str] = mapped_column(String(100), unique=True)
    citizen_national_id: Mapped[str] = mapped_column(String(12), index=True)
    # Codes as the platform sent them: linked to the catalogue by code when known, else kept as text.
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    agency_code: Mapped[str | None] = mapped_column(String(32))
    procedure_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    # The event that set `status`: the latest by (occurred_at, event_id), so arrival order does not matter.
    status_occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_event_id: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The due time the owner was last told had passed (Decree 61/2018's apology): told once per due time.
    overdue_notified_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # The owner's list: newest first, filtered by national ID.
        Index("ix_dossiers_national_id_received", "citizen_national_id", "received_at"),
        Index("ix_dossiers_due_at", "due_at"),
    )


class DossierEvent(Base):
    """One status event as received. `event_id` is unique: a replay is a duplicate, never a second row."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_dossier_events_dossier_occurred", "dossier_id", "occurred_at"),)
