"""The catalogue's tables: places, agencies, sectors, procedures, feedback categories and their routing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class AdministrativeUnit(Base):
    """A province, (historic) district or commune/ward. A tree kept as data, so a merger is an update."""

    __tablename__ = "administrative_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # PROVINCE | DISTRICT | COMMUNE
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_units.id"), index=True)
    # Set when a reform merged this unit into another; such units are kept for history.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_units.id"))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_units.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_agencies_name", "name"),)


class Sector(Base):
    """A field of public administration (lĩnh vực) that groups procedures, e.g. Hộ tịch."""

    __tablename__ = "sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Procedure(Base):
    """An administrative procedure (thủ tục hành chính) as the national catalogue publishes it.

    `search_name` and `search_body` hold folded text (server.text.fold) written by the catalogue service:
    the SQLite FTS5 table `procedures_fts` mirrors them through triggers, and PostgreSQL indexes them with a
    GIN index over a 'simple' tsvector (both made by migration 0002, see docs/catalogue.md).
    """

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # INFORMATION | PARTIAL_ONLINE | FULL_ONLINE
    processing_time: Mapped[str] = mapped_column(String(500))
    processing_days: Mapped[int | None]
    fee: Mapped[str] = mapped_column(Text)
    # [{"name": str, "quantity": int}], [str], [str]: always read whole with the procedure.
    required_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    steps: Mapped[list[str]] = mapped_column(JSON)
    legal_basis: Mapped[list[str]] = mapped_column(JSON)
    # Folded code, names: the "name" tier of search ranking; and the sort key of listings.
    search_name: Mapped[str] = mapped_column(Text)
    # Folded required documents and steps: the "document and step" tier.
    search_body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_procedures_level", "level"),
        # Narrow rows for ranking search matches: SQLite reads the rank columns of thousands of candidates
        # from this index, not from the wide rows (documents, steps): about 4x faster (catalog/search.py).
        Index("ix_procedures_search_rank", "id", "code", "search_name", "sector_id", "agency_id", "level"),
    )


class FeedbackCategory(Base):
    """A kind of street problem residents report, with the time the responsible agency has to fix it."""

    __tablename__ = "feedback_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    sla_hours: Mapped[int]
    # Urgent categories count calendar hours; the others count working hours.
    urgent: Mapped[bool] = mapped_column(default=False)
    default_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FeedbackCategoryRoute(Base):
    """Category and unit give the responsible agency (service.responsible_agency_id walks up the tree)."""

    __tablename__ = "feedback_category_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("feedback_categories.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("administrative_units.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)

    __table_args__ = (
        UniqueConstraint("category_id", "unit_id", name="uq_feedback_category_routes_category_unit"),
    )
