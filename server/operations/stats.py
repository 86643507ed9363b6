"""Feedback counts broken down by administrative unit and/or category, over a time window, for the IOC wall.

Aggregates only: no row says who wrote what. Counted over feedback created in [since, until).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import utcnow
from server.errors import BadRequest
from server.feedback.models import Feedback

OPEN = ("SUBMITTED", "ASSIGNED", "IN_PROGRESS")
RESOLVED = ("RESOLVED", "CLOSED")
DEFAULT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class BreakdownRow:
    unit_id: int | None
    category_id: int | None
    total: int
    open: int
    overdue: int
    resolved: int
    resolved_on_time: int


async def feedback_breakdown(
    session: AsyncSession, by_unit: bool, by_category: bool, since: datetime | None, until: datetime | None
) -> list[BreakdownRow]:
    """One row per (unit, category) present in the window, largest first. One SQL statement."""
    now = utcnow()
    until = until or now
    since = since or until - DEFAULT_WINDOW
    if since >= until:
        raise BadRequest("Argument 'since' must come before 'until'.")
    keys = ([Feedback.unit_id] if by_unit else []) + ([Feedback.category_id] if by_category else [])
    is_open = Feedback.status.in_(OPEN)
    is_resolved = Feedback.status.in_(RESOLVED)
    total = func.count(Feedback.id)
    query = (
        select(
            *keys,
            total,
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((and_(is_open, Feedback.due_at < now), 1), else_=0)),
            func.sum(case((is_resolved, 1), else_=0)),
            func.sum(case((and_(is_resolved, Feedback.resolved_at <= Feedback.due_at), 1), else_=0)),
        )
        .where(Feedback.created_at >= since, Feedback.created_at < until, Feedback.duplicate_of_id.is_(None))
        .group_by(*keys)
        .order_by(total.desc(), *keys)
    )
    rows = []
    for row in (await session.execute(query)).all():
        values = list(row)
        unit_id = values.pop(0) if by_unit else None
        category_id = values.pop(0) if by_category else None
        rows.append(BreakdownRow(unit_id, category_id, *(int(v or 0) for v in values)))
    return rows
