"""Reading feedback: one report with everything around it, the public feed, nearby reports, statistics.

A page costs a fixed number of statements: the page itself (its category, unit, agency and author
joined in, the total as a window count) and one batched load of its photos.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory
from server.db import utcnow
from server.errors import BadRequest
from server.feedback.geo import EARTH_RADIUS_M
from server.feedback.models import Feedback, FeedbackEvent, FeedbackFollow, FeedbackPhoto, FeedbackSupport
from server.feedback.states import OPEN, Status
from server.identity.models import Account
from server.identity.principal import Principal
from server.text import words

SIMILAR_RADIUS_M = 150
MAX_RADIUS_M = 50_000
OPEN_VALUES = tuple(s.value for s in OPEN)


def _card_options() -> list[Any]:
    return [
        joinedload(Feedback.category),
        joinedload(Feedback.unit),
        joinedload(Feedback.assigned_agency),
        joinedload(Feedback.author),
        selectinload(Feedback.photos),
    ]


async def load_feedback(session: AsyncSession, feedback_id: int) -> Feedback:
    """One feedback with its photos and related rows, fresh from the database (after a change)."""
    session.expire_all()
    row = await session.scalar(
        select(Feedback)
        .where(Feedback.id == feedback_id)
        .options(*_card_options())
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def get_feedback(session: AsyncSession, feedback_id: int) -> Feedback | None:
    return await session.scalar(select(Feedback).where(Feedback.id == feedback_id).options(*_card_options()))


async def timelines(session: AsyncSession, feedback_ids: Sequence[int]) -> dict[int, list[FeedbackEvent]]:
    """The timelines of several feedbacks in two statements (events, then their photos)."""
    rows = await session.scalars(
        select(FeedbackEvent)
        .where(FeedbackEvent.feedback_id.in_(feedback_ids))
        .options(selectinload(FeedbackEvent.photos))
        .order_by(FeedbackEvent.id)
    )
    found: dict[int, list[FeedbackEvent]] = {pk: [] for pk in feedback_ids}
    for event in rows:
        found[event.feedback_id].append(event)
    return found


async def flags(
    session: AsyncSession, principal: Principal, feedback_ids: Sequence[int], *, support: bool
) -> set[int]:
    """Which of these the signed-in account supports (or follows)."""
    if principal.account_id is None or not feedback_ids:
        return set()
    model = FeedbackSupport if support else FeedbackFollow
    return set(
        await session.scalars(
            select(model.feedback_id).where(
                model.account_id == principal.account_id, model.feedback_id.in_(feedback_ids)
            )
        )
    )


@dataclass
class FeedFilter:
    statuses: list[str] | None = None
    category_id: int | None = None
    unit_id: int | None = None
    near: tuple[float, float] | None = None
    radius_m: int | None = None
    search: str | None = None
    overdue: bool | None = None
    author_account_id: int | None = None
    followed_by: int | None = None
    agency_id: int | None = None
    # For the Open311 façade: several categories, reference codes, a window of submission times.
    category_ids: list[int] | None = None
    reference_codes: list[str] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _distance2(lat: float, lon: float) -> ColumnElement[float]:
    """Squared metres on a local flat projection: only arithmetic, so SQLite and PostgreSQL agree."""
    k = math.pi * EARTH_RADIUS_M / 180
    kx = k * math.cos(math.radians(lat))
    dy = (Feedback.latitude - lat) * k
    dx = (Feedback.longitude - lon) * kx
    return dy * dy + dx * dx


def _filtered(f: FeedFilter, now: datetime) -> tuple[Select[Any], ColumnElement[float] | None]:
    conditions: list[ColumnElement[bool]] = []
    if f.statuses:
        conditions.append(Feedback.status.in_(f.statuses))
    if f.category_id is not None:
        conditions.append(Feedback.category_id == f.category_id)
    if f.unit_id is not None:
        conditions.append(Feedback.unit_id == f.unit_id)
    if f.category_ids is not None:
        conditions.append(Feedback.category_id.in_(f.category_ids))
    if f.reference_codes is not None:
        conditions.append(Feedback.reference_code.in_(f.reference_codes))
    if f.created_from is not None:
        conditions.append(Feedback.created_at >= f.created_from)
    if f.created_to is not None:
        conditions.append(Feedback.created_at <= f.created_to)
    if f.author_account_id is not None:
        conditions.append(Feedback.author_account_id == f.author_account_id)
    if f.agency_id is not None:
        conditions.append(Feedback.assigned_agency_id == f.agency_id)
    if f.followed_by is not None:
        conditions.append(
            Feedback.id.in_(
                select(FeedbackFollow.feedback_id).where(FeedbackFollow.account_id == f.followed_by)
            )
        )
    for word in words(f.search)[:8]:
        conditions.append(Feedback.search_text.like(f"% {word}%"))
    overdue = and_(Feedback.due_at.is_not(None), Feedback.due_at < now, Feedback.status.in_(OPEN_VALUES))
    if f.overdue is True:
        conditions.append(overdue)
    elif f.overdue is False:
        conditions.append(~overdue)
    distance: ColumnElement[float] | None = None
    if f.radius_m is not None and f.near is None:
        raise BadRequest("filter.radiusMeters needs filter.near.")
    if f.near is not None:
        lat, lon = f.near
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadRequest("filter.near is not a valid coordinate.")
        distance = _distance2(lat, lon)
        if f.radius_m is not None:
            if not 1 <= f.radius_m <= MAX_RADIUS_M:
                raise BadRequest(f"filter.radiusMeters must lie between 1 and {MAX_RADIUS_M}.")
            # A box first (the lat/lon index can serve it), then the exact circle.
            dlat = math.degrees(f.radius_m / EARTH_RADIUS_M)
            dlon = dlat / max(0.01, math.cos(math.radians(lat)))
            conditions += [
                Feedback.latitude.between(lat - dlat, lat + dlat),
                Feedback.longitude.between(lon - dlon, lon + dlon),
                distance <= float(f.radius_m) ** 2,
            ]
    return select(Feedback).where(*conditions), distance


ORDERS = ("NEWEST", "MOST_SUPPORTED", "NEAREST")


def _labelled(table: Any, prefix: str, names: Sequence[str]) -> list[Any]:
    return [table.c[name].label(prefix + name) for name in names]


# The columns a feed card shows, per table: read as Core rows, no ORM objects (3x cheaper to build).
FEEDBACK_COLUMNS = [c.name for c in Feedback.__table__.columns]
CATEGORY_COLUMNS = ["id", "code", "name", "name_en", "sla_hours", "urgent", "default_agency_id"]
UNIT_COLUMNS = ["id", "code", "name", "name_en", "level", "parent_id"]
AGENCY_COLUMNS = ["id", "code", "name", "name_en", "phone", "email", "address", "unit_id"]
AUTHOR_COLUMNS = ["id", "full_name", "role", "agency_id"]
PHOTO_COLUMNS = ["feedback_id", "path", "thumbnail_path", "width", "height"]


def _part(row: Any, prefix: str, names: Sequence[str]) -> SimpleNamespace | None:
    if row[prefix + "id"] is None:
        return None
    return SimpleNamespace(**{name: row[prefix + name] for name in names})


async def feed(
    session: AsyncSession, f: FeedFilter, order: str, offset: int, limit: int
) -> tuple[list[Any], int]:
    """A page of feedback cards (light objects with the attributes of Feedback and its parts); the total."""
    if order == "NEAREST" and f.near is None:
        raise BadRequest("orderBy NEAREST needs filter.near (the point to measure from).")
    query, distance = _filtered(f, utcnow())
    if order == "NEAREST":
        assert distance is not None
        ordering: list[Any] = [distance, Feedback.id.desc()]
    elif order == "MOST_SUPPORTED":
        ordering = [Feedback.support_count.desc(), Feedback.id.desc()]
    else:
        ordering = [Feedback.created_at.desc(), Feedback.id.desc()]
    category, unit = FeedbackCategory.__table__, AdministrativeUnit.__table__
    agency, author = Agency.__table__, Account.__table__
    page = (
        query.with_only_columns(
            *_labelled(Feedback.__table__, "f_", FEEDBACK_COLUMNS),
            *_labelled(category, "c_", CATEGORY_COLUMNS),
            *_labelled(unit, "u_", UNIT_COLUMNS),
            *_labelled(agency, "a_", AGENCY_COLUMNS),
            *_labelled(author, "p_", AUTHOR_COLUMNS),
            func.count().over().label("total"),
        )
        .select_from(Feedback.__table__)
        .join(category, category.c.id == Feedback.category_id)
        .outerjoin(unit, unit.c.id == Feedback.unit_id)
        .outerjoin(agency, agency.c.id == Feedback.assigned_agency_id)
        .outerjoin(author, author.c.id == Feedback.author_account_id)
        .order_by(*ordering)
        .offset(offset)
        .limit(limit)
    )
    rows = [row._mapping for row in (await session.execute(page)).all()]
    items = []
    for row in rows:
        card = SimpleNamespace(**{name: row["f_" + name] for name in FEEDBACK_COLUMNS})
        card.category = _part(row, "c_", CATEGORY_COLUMNS)
        card.unit = _part(row, "u_", UNIT_COLUMNS)
        card.assigned_agency = _part(row, "a_", AGENCY_COLUMNS)
        card.author = _part(row, "p_", AUTHOR_COLUMNS)
        card.photos = []
        items.append(card)
    if items:
        by_id = {card.id: card for card in items}
        photo = FeedbackPhoto.__table__
        photos = await session.execute(
            select(*(photo.c[name] for name in PHOTO_COLUMNS))
            .where(photo.c.feedback_id.in_(by_id), photo.c.event_id.is_(None))
            .order_by(photo.c.feedback_id, photo.c.position)
        )
        for p in photos.all():
            by_id[p.feedback_id].photos.append(p)
    if rows:
        total = int(rows[0]["total"])
    elif offset == 0:
        total = 0
    else:  # past the end: the window count saw no row, ask once
        total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return items, total


async def last_messages(session: AsyncSession, feedback_ids: Sequence[int]) -> dict[int, str]:
    """The latest timeline message of each feedback (Open311's status_notes), in one statement."""
    if not feedback_ids:
        return {}
    latest = (
        select(func.max(FeedbackEvent.id))
        .where(FeedbackEvent.feedback_id.in_(feedback_ids), FeedbackEvent.message.is_not(None))
        .group_by(FeedbackEvent.feedback_id)
    )
    rows = await session.execute(
        select(FeedbackEvent.feedback_id, FeedbackEvent.message).where(FeedbackEvent.id.in_(latest))
    )
    return {pk: message for pk, message in rows.all()}


async def similar(
    session: AsyncSession, category_id: int, lat: float, lon: float, limit: int = 10
) -> list[Any]:
    """Open feedback of the category within 150 m, nearest first: a "me too" instead of a duplicate."""
    f = FeedFilter(
        statuses=list(OPEN_VALUES), category_id=category_id, near=(lat, lon), radius_m=SIMILAR_RADIUS_M
    )
    items, _ = await feed(session, f, "NEAREST", 0, limit)
    return items


@dataclass
class Stats:
    total: int
    by_status: list[tuple[str, int]]
    resolved_on_time_rate: float | None
    average_resolution_hours: float | None
    average_rating: float | None


async def stats(
    session: AsyncSession,
    category_id: int | None = None,
    unit_id: int | None = None,
    since: datetime | None = None,
) -> Stats:
    conditions: list[ColumnElement[bool]] = []
    if category_id is not None:
        conditions.append(Feedback.category_id == category_id)
    if unit_id is not None:
        conditions.append(Feedback.unit_id == unit_id)
    if since is not None:
        conditions.append(Feedback.created_at >= since)
    counts = dict(
        (
            await session.execute(
                select(Feedback.status, func.count()).where(*conditions).group_by(Feedback.status)
            )
        ).all()
    )
    rating = await session.scalar(
        select(func.avg(Feedback.rating)).where(*conditions, Feedback.rating.is_not(None))
    )
    # Durations are computed here: date arithmetic differs between SQLite and PostgreSQL.
    resolved = (
        await session.execute(
            select(
                Feedback.created_at,
                Feedback.resolved_at,
                Feedback.closed_at,
                Feedback.due_at,
                Feedback.status,
            ).where(*conditions, Feedback.resolved_at.is_not(None))
        )
    ).all()
    hours = [(r.resolved_at - r.created_at).total_seconds() / 3600 for r in resolved]
    with_due = [r for r in resolved if r.due_at is not None]
    on_time = sum(1 for r in with_due if r.resolved_at <= r.due_at)
    return Stats(
        total=sum(counts.values()),
        by_status=[(s.value, int(counts.get(s.value, 0))) for s in Status],
        resolved_on_time_rate=(on_time / len(with_due)) if with_due else None,
        average_resolution_hours=(sum(hours) / len(hours)) if hours else None,
        average_rating=float(rating) if rating is not None else None,
    )
