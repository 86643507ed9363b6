"""Notification rules: the inbox, announcements, push subscriptions and push preferences."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit, Agency
from server.db import utcnow
from server.errors import ErrorCode, ErrorCollector, UserInputError
from server.identity.principal import Principal, Role
from server.notify.audience import unit_and_ancestors, unit_and_descendants
from server.notify.models import (
    Announcement,
    AnnouncementUnit,
    Notification,
    NotificationPreference,
    OutboxEvent,
    PushSubscription,
)
from server.notify.outbox import Audience, NotificationKind, emit
from server.text import nfc
from server.urls import https_or_loopback

SEVERITIES = ("INFO", "WARNING", "EMERGENCY")
TITLE = (3, 200)
BODY = (1, 5000)


def _account(principal: Principal) -> int:
    if principal.account_id is None:
        raise UserInputError.one(ErrorCode.UNAUTHENTICATED, "notify.sign_in")
    return principal.account_id


# ---------------------------------------------------------------- inbox


async def inbox_page(
    session: AsyncSession, account_id: int, unread_only: bool, limit: int, offset: int
) -> tuple[list[tuple[Notification, OutboxEvent]], int]:
    """A page of the account's notifications, newest first, with their events, and the total."""
    where = [Notification.account_id == account_id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    rows = (
        await session.execute(
            select(Notification, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == Notification.event_id)
            .where(*where)
            .order_by(Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = await session.scalar(select(func.count()).select_from(Notification).where(*where))
    return [(n, e) for n, e in rows], int(total or 0)


async def unread_count(session: AsyncSession, account_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.account_id == account_id, Notification.read_at.is_(None))
        )
        or 0
    )


async def mark_read(session: AsyncSession, principal: Principal, ids: list[int] | None) -> int:
    """Mark the given notifications (all when None) read. Others' ids change nothing. Returns unread left."""
    account_id = _account(principal)
    query = update(Notification).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    if ids is None or ids:
        await session.execute(query.values(read_at=utcnow()))
        await session.commit()
    return await unread_count(session, account_id)


async def get_notification(
    session: AsyncSession, principal: Principal, pk: int
) -> tuple[Notification, OutboxEvent] | None:
    """node(id) for a notification: its recipient alone."""
    if principal.account_id is None:
        return None
    row = (
        await session.execute(
            select(Notification, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == Notification.event_id)
            .where(Notification.id == pk, Notification.account_id == principal.account_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


# ---------------------------------------------------------------- announcements


@dataclass
class NewAnnouncement:
    title: str
    body: str
    severity: str
    unit_ids: list[int] | None = None
    expires_at: datetime | None = None


async def _issuer_area(session: AsyncSession, principal: Principal) -> set[int] | None:
    """Units a cadre may warn: their agency's unit and below. None: anywhere (admins, province agencies)."""
    if principal.is_admin:
        return None
    agency = await session.get(Agency, principal.agency_id) if principal.agency_id is not None else None
    if agency is None or agency.unit_id is None:
        return set()
    unit = await session.get(AdministrativeUnit, agency.unit_id)
    if unit is not None and unit.level == "PROVINCE":
        return None
    return await unit_and_descendants(session, [agency.unit_id])


async def publish_announcement(
    session: AsyncSession, principal: Principal, data: NewAnnouncement
) -> Announcement:
    """Cadres warn their agency's area, admins anywhere; every resident of the target units hears of it."""
    _account(principal)
    if principal.role not in (Role.CADRE, Role.ADMIN):
        raise UserInputError.one(ErrorCode.FORBIDDEN, "announcement.forbidden")
    errors = ErrorCollector()
    title = nfc(data.title or "").strip()
    body = nfc(data.body or "").strip()
    for value, bounds, path in ((title, TITLE, "title"), (body, BODY, "body")):
        if not value:
            errors.add(ErrorCode.REQUIRED, "required", ("input", path))
        elif not bounds[0] <= len(value) <= bounds[1]:
            errors.add(
                ErrorCode.INVALID, "feedback.text_length", ("input", path), min=bounds[0], max=bounds[1]
            )
    if data.severity not in SEVERITIES:
        errors.add(ErrorCode.INVALID, "announcement.severity", ("input", "severity"))
    if data.expires_at is not None and data.expires_at <= utcnow():
        errors.add(ErrorCode.INVALID, "announcement.expired", ("input", "expiresAt"))
    targets = list(dict.fromkeys(data.unit_ids or []))
    if targets:
        found = set(
            await session.scalars(select(AdministrativeUnit.id).where(AdministrativeUnit.id.in_(targets)))
        )
        for index, pk in enumerate(targets):
            if pk not in found:
                errors.add(ErrorCode.NOT_FOUND, "unit.not_found", ("input", "unitIds", str(index)))
    errors.raise_if_any()
    area = await _issuer_area(session, principal)
    if area is not None:
        if not area:
            raise UserInputError.one(ErrorCode.FORBIDDEN, "announcement.forbidden")
        if not targets:  # a cadre's announcement without units covers the agency's own area
            agency = await session.get(Agency, principal.agency_id)
            assert agency is not None and agency.unit_id is not None
            targets = [agency.unit_id]
        for index, pk in enumerate(data.unit_ids or []):
            if pk not in area:
                errors.add(ErrorCode.FORBIDDEN, "announcement.out_of_area", ("input", "unitIds", str(index)))
        errors.raise_if_any()
    announcement = Announcement(
        title=title,
        body=body,
        severity=data.severity,
        issuer_agency_id=principal.agency_id if principal.role is Role.CADRE else None,
        issuer_account_id=principal.account_id,
        province_wide=not targets,
        published_at=utcnow(),
        expires_at=data.expires_at,
    )
    session.add(announcement)
    await session.flush()
    for pk in targets:
        session.add(AnnouncementUnit(announcement_id=announcement.id, unit_id=pk))
    await emit(
        session,
        NotificationKind.ANNOUNCEMENT,
        "Announcement",
        announcement.id,
        {"title": title, "body": body, "severity": data.severity},
        Audience(
            units=targets,
            province=not targets,
            exclude=[principal.account_id] if principal.account_id else [],
            urgent=data.severity == "EMERGENCY",
        ),
    )
    await session.commit()
    return announcement


def _in_force(now: datetime):  # type: ignore[no-untyped-def]
    return or_(Announcement.expires_at.is_(None), Announcement.expires_at > now)


async def announcements_page(
    session: AsyncSession, unit_id: int | None, limit: int, offset: int
) -> tuple[list[Announcement], int]:
    """Announcements in force, newest first. For a unit: those targeting it, a unit above it, or everyone."""
    where = [_in_force(utcnow())]
    if unit_id is not None:
        above = await unit_and_ancestors(session, unit_id)
        targeting = select(AnnouncementUnit.announcement_id).where(
            AnnouncementUnit.unit_id.in_(above or {-1})
        )
        where.append(or_(Announcement.province_wide.is_(True), Announcement.id.in_(targeting)))
    rows = list(
        await session.scalars(
            select(Announcement)
            .where(*where)
            .order_by(Announcement.published_at.desc(), Announcement.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    total = await session.scalar(select(func.count()).select_from(Announcement).where(*where))
    return rows, int(total or 0)


async def announcement_units(session: AsyncSession, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {pk: [] for pk in ids}
    rows = await session.execute(
        select(AnnouncementUnit.announcement_id, AnnouncementUnit.unit_id)
        .where(AnnouncementUnit.announcement_id.in_(ids))
        .order_by(AnnouncementUnit.unit_id)
    )
    for announcement_id, unit_id in rows.all():
        found[announcement_id].append(unit_id)
    return found


# ---------------------------------------------------------------- Web Push subscriptions


def _b64url_bytes(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _endpoint_allowed(endpoint: str) -> bool:
    """https only; plain http only to a loopback host (a local push receiver in development and tests)."""
    return https_or_loopback(endpoint, max_length=1000)


async def register_push_subscription(
    session: AsyncSession, principal: Principal, endpoint: str, p256dh: str, auth: str
) -> PushSubscription:
    account_id = _account(principal)
    errors = ErrorCollector()
    endpoint = (endpoint or "").strip()
    if not _endpoint_allowed(endpoint):
        errors.add(ErrorCode.INVALID, "push.endpoint_invalid", ("input", "endpoint"))
    key = _b64url_bytes((p256dh or "").strip())
    if key is None or len(key) != 65 or key[0] != 4:
        errors.add(ErrorCode.INVALID, "push.key_invalid", ("input", "p256dh"))
    secret = _b64url_bytes((auth or "").strip())
    if secret is None or len(secret) != 16:
        errors.add(ErrorCode.INVALID, "push.key_invalid", ("input", "auth"))
    errors.raise_if_any()
    existing = await session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if existing is None:
        existing = PushSubscription(
            endpoint=endpoint, account_id=account_id, p256dh=p256dh.strip(), auth=auth.strip()
        )
        session.add(existing)
    else:  # the browser re-subscribed, maybe for someone else signing in on it
        existing.account_id = account_id
        existing.p256dh = p256dh.strip()
        existing.auth = auth.strip()
    await session.commit()
    return existing


async def unregister_push_subscription(session: AsyncSession, principal: Principal, endpoint: str) -> None:
    account_id = _account(principal)
    await session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint.strip(), PushSubscription.account_id == account_id
        )
    )
    await session.commit()


# ---------------------------------------------------------------- preferences


async def push_kinds(session: AsyncSession, account_id: int) -> list[str]:
    """Kinds that also come by push (the inbox always gets everything; EMERGENCY always pushes)."""
    muted = set(
        await session.scalars(
            select(NotificationPreference.kind).where(
                NotificationPreference.account_id == account_id, NotificationPreference.push.is_(False)
            )
        )
    )
    return [kind.value for kind in NotificationKind if kind.value not in muted]


async def set_push_kinds(session: AsyncSession, principal: Principal, kinds: list[str]) -> list[str]:
    account_id = _account(principal)
    wanted = set(kinds)
    await session.execute(
        delete(NotificationPreference).where(NotificationPreference.account_id == account_id)
    )
    for kind in NotificationKind:
        session.add(NotificationPreference(account_id=account_id, kind=kind.value, push=kind.value in wanted))
    await session.commit()
    return await push_kinds(session, account_id)
