"""Places and agencies: the catalogue's tables that identity and feedback also lean on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
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
