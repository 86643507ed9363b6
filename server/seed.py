"""Demo data: the province's units plus the demo catalogue shipped as data files in the package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.demo import enumerate_rows, load_feedback_categories, load_sectors
from server.catalog.importer import import_records, parse_rows
from server.catalog.models import AdministrativeUnit, Agency
from server.catalog.places import sync_units
from server.config import Settings
from server.feedback.demo import load_sample_feedback


def demo_file(name: str) -> Any:
    return json.loads(resources.files("server.catalog").joinpath("data/demo", name).read_text("utf-8"))


async def is_empty(session: AsyncSession) -> bool:
    return (await session.scalar(select(func.count()).select_from(AdministrativeUnit))) == 0


async def load_agencies(session: AsyncSession, records: list[dict[str, Any]]) -> int:
    units = {
        code: pk for pk, code in await session.execute(select(AdministrativeUnit.id, AdministrativeUnit.code))
    }
    existing = {a.code: a for a in await session.scalars(select(Agency))}
    for record in records:
        agency = existing.get(record["code"]) or Agency(code=record["code"])
        agency.name = record["name"]
        agency.name_en = record.get("nameEn")
        agency.unit_id = units.get(str(record.get("unitCode") or ""))
        agency.phone = record.get("phone")
        agency.email = record.get("email")
        agency.address = record.get("address")
        session.add(agency)
    return len(records)


async def seed_demo(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """Load the demo province (idempotent: running it again updates, never duplicates)."""
    counts = {"units": await sync_units(session, settings.province_code)}
    await session.flush()  # the communes get their ids: agencies of a ward point at them
    counts["agencies"] = await load_agencies(session, demo_file("agencies.json"))
    await session.flush()
    counts["sectors"] = await load_sectors(session, demo_file("sectors.json"))
    # The demo procedures are in the import shape: the importer is the one writer of procedures.
    procedures = parse_rows(list(enumerate_rows(demo_file("procedures.json"))))
    imported = await import_records(session, procedures)
    counts["procedures"] = imported.created + imported.updated + imported.unchanged
    categories = demo_file("feedback_categories.json")
    counts["feedback categories"] = await load_feedback_categories(session, categories)
    await session.flush()
    counts["sample feedback"] = await load_sample_feedback(session, demo_file("sample_feedback.json"))
    await session.commit()
    return counts
