"""Loaders of the catalogue's demo data files (server/catalog/data/demo/): bulk and idempotent by code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory, FeedbackCategoryRoute, Sector
from server.db import utcnow


def enumerate_rows(records: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows named as the importer names JSON rows (array index)."""
    for index, record in enumerate(records):
        yield f"index {index}", record


async def _upsert_by_code(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new codes and update known ones, in two bulk statements; returns code → id of all rows."""
    existing = {code: pk for pk, code in await session.execute(select(model.id, model.code))}
    now = utcnow()
    inserts = [{**row, "updated_at": now} for row in rows if row["code"] not in existing]
    updates = [
        {**row, "id": existing[row["code"]], "updated_at": now} for row in rows if row["code"] in existing
    ]
    if inserts:
        await session.execute(insert(model), inserts)
    if updates:
        await session.execute(update(model), updates)
    return {code: pk for pk, code in await session.execute(select(model.id, model.code))}


async def load_sectors(session: AsyncSession, records: list[dict[str, Any]]) -> int:
    rows = [{"code": r["code"], "name": r["name"], "name_en": r.get("nameEn")} for r in records]
    await _upsert_by_code(session, Sector, rows)
    return len(rows)


async def load_feedback_categories(session: AsyncSession, records: list[dict[str, Any]]) -> int:
    """Categories and their routes (unit → agency). A category's routes are replaced by the file's."""
    agencies = {code: pk for pk, code in await session.execute(select(Agency.id, Agency.code))}
    units = {
        code: pk for pk, code in await session.execute(select(AdministrativeUnit.id, AdministrativeUnit.code))
    }

    def agency_id(code: str | None) -> int | None:
        if code is None:
            return None
        if code not in agencies:
            raise ValueError(f"feedback category data names an unknown agency {code!r}")
        return agencies[code]

    rows = [
        {
            "code": r["code"],
            "name": r["name"],
            "name_en": r.get("nameEn"),
            "sla_hours": int(r["slaHours"]),
            "urgent": bool(r.get("urgent", False)),
            "default_agency_id": agency_id(r.get("defaultAgencyCode")),
        }
        for r in records
    ]
    ids = await _upsert_by_code(session, FeedbackCategory, rows)
    routes: list[dict[str, Any]] = []
    for record in records:
        for route in record.get("routes", []):
            if str(route["unitCode"]) not in units:
                raise ValueError(
                    f"feedback category {record['code']} routes an unknown unit {route['unitCode']!r}"
                )
            routes.append(
                {
                    "category_id": ids[record["code"]],
                    "unit_id": units[str(route["unitCode"])],
                    "agency_id": agency_id(route["agencyCode"]),
                }
            )
    category_ids = [ids[r["code"]] for r in records]
    await session.execute(
        delete(FeedbackCategoryRoute).where(FeedbackCategoryRoute.category_id.in_(category_ids))
    )
    if routes:
        await session.execute(insert(FeedbackCategoryRoute), routes)
    return len(rows)
