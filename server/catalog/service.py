"""The catalogue's reads and the rules around them. Everything here is public data: no principal needed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import (
    AdministrativeUnit,
    Agency,
    FeedbackCategory,
    FeedbackCategoryRoute,
    Procedure,
    Sector,
)
from server.catalog.search import ProcedureFilter, ProcedurePage, count_procedures, find_procedures
from server.text import fold

__all__ = [
    "ProcedureFilter",
    "ProcedurePage",
    "count_procedures",
    "find_procedures",
    "procedure_by_code",
    "procedure_counts",
    "responsible_agency_id",
    "search_fields",
]

LEVELS = ("INFORMATION", "PARTIAL_ONLINE", "FULL_ONLINE")


def search_fields(
    code: str, name: str, name_en: str | None, documents: Iterable[dict[str, Any]], steps: Iterable[str]
) -> dict[str, str]:
    """The folded search columns of a procedure; every writer of procedures must set them with these."""
    return {
        # Name first: the column is also the listing's sort key.
        "search_name": " ".join(part for part in (fold(name), fold(name_en), fold(code)) if part),
        "search_body": " ".join(
            part for part in [*(fold(d.get("name")) for d in documents), *(fold(s) for s in steps)] if part
        ),
    }


async def units(session: AsyncSession, parent_id: int | None = None, level: str | None = None) -> list[Any]:
    query = select(AdministrativeUnit).where(AdministrativeUnit.merged_into_id.is_(None))
    if parent_id is not None:
        query = query.where(AdministrativeUnit.parent_id == parent_id)
    if level is not None:
        query = query.where(AdministrativeUnit.level == level)
    return list(
        await session.scalars(query.order_by(AdministrativeUnit.level.desc(), AdministrativeUnit.code))
    )


async def agencies(session: AsyncSession) -> list[Agency]:
    return list(await session.scalars(select(Agency).order_by(Agency.code)))


async def sectors(session: AsyncSession) -> list[Sector]:
    return list(await session.scalars(select(Sector).order_by(Sector.code)))


async def procedure_counts(session: AsyncSession, sector_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Procedures per sector, in one grouped statement (all sectors when `sector_ids` is None)."""
    query = select(Procedure.sector_id, func.count()).group_by(Procedure.sector_id)
    if sector_ids is not None:
        query = query.where(Procedure.sector_id.in_(sector_ids))
    return {sector_id: n for sector_id, n in await session.execute(query)}


async def procedure_by_code(session: AsyncSession, code: str) -> Procedure | None:
    return await session.scalar(select(Procedure).where(Procedure.code == code.strip()))


async def feedback_categories(session: AsyncSession) -> list[FeedbackCategory]:
    return list(await session.scalars(select(FeedbackCategory).order_by(FeedbackCategory.code)))


async def responsible_agency_id(session: AsyncSession, category_id: int, unit_id: int | None) -> int | None:
    """The agency that must handle feedback of this category in this unit.

    The route for the unit itself; else the route of the nearest unit above it (a ward inherits its
    province's route); else the category's default agency; None when the category does not exist.
    """
    routes = dict(
        (
            await session.execute(
                select(FeedbackCategoryRoute.unit_id, FeedbackCategoryRoute.agency_id).where(
                    FeedbackCategoryRoute.category_id == category_id
                )
            )
        ).all()
    )
    seen: set[int] = set()
    current = unit_id
    while current is not None and current not in seen and routes:
        if current in routes:
            return routes[current]
        seen.add(current)  # a cycle in bad data must not loop forever
        current = await session.scalar(
            select(AdministrativeUnit.parent_id).where(AdministrativeUnit.id == current)
        )
    return await session.scalar(
        select(FeedbackCategory.default_agency_id).where(FeedbackCategory.id == category_id)
    )
