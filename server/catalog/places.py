"""The served province's administrative units, from the `vietnam-provinces` package (post-2025 structure)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

import vietnam_provinces
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    level: str
    parent_code: str | None


def _clean(name: str) -> str:
    # The package has a few names with doubled spaces ("Phường  Rạch Dừa").
    return unicodedata.normalize("NFC", " ".join(name.split()))


def province_units(province_code: int) -> list[UnitRecord]:
    """The province and its communes and wards, as the package lists them."""
    divisions = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    for province in divisions:
        if province["code"] == province_code:
            units = [UnitRecord(str(province["code"]), _clean(province["name"]), "PROVINCE", None)]
            units.extend(
                UnitRecord(str(ward["code"]), _clean(ward["name"]), "COMMUNE", str(province["code"]))
                for ward in province["wards"]
            )
            return units
    raise ValueError(f"vietnam-provinces has no province with code {province_code}")


async def sync_units(session: AsyncSession, province_code: int) -> int:
    """Insert or rename the province's units (idempotent). Returns how many were added."""
    records = province_units(province_code)
    existing = {u.code: u for u in await session.scalars(select(AdministrativeUnit))}
    added = 0
    for record in records:
        unit = existing.get(record.code)
        parent_id = existing[record.parent_code].id if record.parent_code else None
        if unit is None:
            unit = AdministrativeUnit(
                code=record.code, name=record.name, level=record.level, parent_id=parent_id
            )
            session.add(unit)
            if parent_id is None:
                await session.flush()  # children need the province's id
            existing[record.code] = unit
            added += 1
        else:
            unit.name, unit.level, unit.parent_id = record.name, record.level, parent_id
    return added
