"""Webhooks for apps: public feedback events, signed with HMAC-SHA256, retried with backoff, logged.

Two steps, each its own transaction, so a crash loses nothing:
1. relay: read outbox events past the cursor; for each feedback event, one delivery row per subscribed
   webhook (unique per webhook and event) carrying the feedback's public view; advance the cursor with a
   compare-and-set, so two processes never relay one batch twice;
2. send: claim due deliveries for a while, POST them, record the outcome. 2xx is delivered; anything
   else is retried after 10 s, 20 s, 40 s … (at most an hour apart) until MAX_ATTEMPTS, then FAILED.

Deliveries are at least once: a receiver deduplicates by the X-Hub-Delivery id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.apps.models import App, AppWebhook, AppWebhookDelivery, WebhookRelayedEvent, WebhookRelayFloor
from server.db import utcnow
from server.errors import ErrorCode, Forbidden, UserInputError
from server.retry import backoff_seconds
from server.urls import https_or_loopback

log = logging.getLogger("citizen_hub.webhooks")

EVENT_TYPES = (
    "feedback.assigned",
    "feedback.status_changed",
    "feedback.reply",
    "feedback.reopened",
    "feedback.rated",
)
MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(hours=1)
CLAIM = timedelta(seconds=60)
SIGNATURE_HEADER = "X-Hub-Signature-256"


def event_type(change: str | None) -> str | None:
    """The webhook event type of a feedback outbox event's `change`."""
    name = f"feedback.{(change or '').lower()}"
    return name if name in EVENT_TYPES else None


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- the app's own calls


def _app_only(principal: Any) -> int:
    if principal.app_id is None or principal.account_id is not None:
        raise Forbidden("Webhooks belong to apps: use an app token (client credentials).")
    return principal.app_id


def _valid_url(url: str, allow_loopback_http: bool) -> bool:
    return https_or_loopback(url) and (allow_loopback_http or url.startswith("https://"))


async def subscribe(
    session: AsyncSession,
    principal: Any,
    url: str,
    events: list[str] | None,
    *,
    allow_loopback_http: bool = True,
) -> tuple[AppWebhook, str]:
    """Subscribe the calling app; returns the webhook and its signing secret (shown this once)."""
    app_id = _app_only(principal)
    wanted = sorted(set(events or EVENT_TYPES))
    unknown = [e for e in wanted if e not in EVENT_TYPES]
    if unknown:
        raise UserInputError.one(
            ErrorCode.INVALID, "webhook.events", ("input", "events"), known=", ".join(EVENT_TYPES)
        )
    if not _valid_url(url.strip(), allow_loopback_http):
        raise UserInputError.one(ErrorCode.INVALID, "webhook.url", ("input", "url"))
    count = len(
        (
            await session.scalars(
                select(AppWebhook.id).where(AppWebhook.app_id == app_id, AppWebhook.disabled_at.is_(None))
            )
        ).all()
    )
    if count >= 10:
        raise UserInputError.one(ErrorCode.INVALID, "webhook.too_many", ("input", "url"))
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook = AppWebhook(app_id=app_id, url=url.strip(), secret=secret, events=" ".join(wanted))
    session.add(webhook)
    await session.commit()
    return webhook, secret


async def unsubscribe(session: AsyncSession, principal: Any, webhook_id: int) -> None:
    app_id = _app_only(principal)
    webhook = await session.get(AppWebhook, webhook_id)
    if webhook is None or webhook.app_id != app_id or webhook.disabled_at is not None:
        raise UserInputError.one(ErrorCode.NOT_FOUND, "webhook.not_found", ("input", "id"))
    webhook.disabled_at = utcnow()
    await session.commit()


async def webhooks_of(session: AsyncSession, principal: Any) -> list[AppWebhook]:
    app_id = _app_only(principal)
    rows = await session.scalars(
        select(AppWebhook)
        .where(AppWebhook.app_id == app_id, AppWebhook.disabled_at.is_(None))
        .order_by(AppWebhook.id)
    )
    return list(rows)


async def deliveries_of(
    session: AsyncSession, principal: Any, offset: int, limit: int
) -> tuple[list[tuple[AppWebhookDelivery, str]], int]:
    """The calling app's delivery log, newest first, with the total."""
    from sqlalchemy import func

    app_id = _app_only(principal)
    mine = select(AppWebhook.id).where(AppWebhook.app_id == app_id)
    total = await session.scalar(
        select(func.count()).select_from(AppWebhookDelivery).where(AppWebhookDelivery.webhook_id.in_(mine))
    )
    rows = await session.execute(
        select(AppWebhookDelivery, AppWebhook.url)
        .join(AppWebhook, AppWebhook.id == AppWebhookDelivery.webhook_id)
        .where(AppWebhook.app_id == app_id)
        .order_by(AppWebhookDelivery.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(delivery, url) for delivery, url in rows.tuples()], int(total or 0)


# ---------------------------------------------------------------- step 1: relay


async def _public_views(session: AsyncSession, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The public view of feedback, as anyone may read it in the feed (coordinates rounded, no author)."""
    from graphql_schema.relay import to_global_id
    from server.catalog.models import AdministrativeUnit, FeedbackCategory
    from server.feedback.models import Feedback

    rows = await session.execute(
        select(Feedback, FeedbackCategory.code, AdministrativeUnit.code)
        .join(FeedbackCategory, FeedbackCategory.id == Feedback.category_id)
        .outerjoin(AdministrativeUnit, AdministrativeUnit.id == Feedback.unit_id)
        .where(Feedback.id.in_(ids))
    )
    views: dict[int, dict[str, Any]] = {}
    for feedback, category, unit in rows.tuples():
        views[feedback.id] = {
            "id": to_global_id("Feedback", feedback.id),
            "referenceCode": feedback.reference_code,
            "title": feedback.title,
            "status": feedback.status,
            "category": category,
            "unit": unit,
            "location": {"latitude": round(feedback.latitude, 3), "longitude": round(feedback.longitude, 3)},
            "supportCount": feedback.support_count,
            "createdAt": feedback.created_at.isoformat(),
            "updatedAt": feedback.updated_at.isoformat(),
            "dueAt": feedback.due_at.isoformat() if feedback.due_at else None,
        }
    return views


async def relay(session_factory: async_sessionmaker[AsyncSession], batch: int = 200) -> int:
    """Turn committed outbox events not yet relayed into deliveries. Returns how many events it took."""
    from server.notify.models import OutboxEvent

    async with session_factory() as session:
        floor = await session.get(WebhookRelayFloor, 1)
        if floor is None:
            # Start from now: an app subscribing today does not receive the hub's whole history.
            last = await session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(1))
            session.add(WebhookRelayFloor(id=1, event_id=last or 0))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
            return 0
        relayed = select(WebhookRelayedEvent.event_id).where(WebhookRelayedEvent.event_id == OutboxEvent.id)
        events = (
            await session.scalars(
                select(OutboxEvent)
                .where(
                    # Only feedback changes become app deliveries: the others (dossier updates, a few
                    # thousand a second from the LGSP webhook) are never read, decoded or marked here.
                    OutboxEvent.subject_type == "Feedback",
                    OutboxEvent.id > floor.event_id,
                    ~relayed.exists(),
                )
                .order_by(OutboxEvent.id)
                .limit(batch)
            )
        ).all()
        if not events:
            return 0
        hooks = (
            await session.scalars(
                select(AppWebhook)
                .join(App, App.id == AppWebhook.app_id)
                .where(AppWebhook.disabled_at.is_(None), App.disabled_at.is_(None))
            )
        ).all()
        feedback_events = [
            (e, kind)
            for e in events
            if e.subject_type == "Feedback" and (kind := event_type((e.payload or {}).get("change")))
        ]
        views = await _public_views(session, {e.subject_id for e, _ in feedback_events}) if hooks else {}
        now = utcnow()
        rows = [
            {
                "webhook_id": hook.id,
                "outbox_event_id": event.id,
                "event_type": kind,
                "payload": {
                    "id": f"evt_{event.id}_{hook.id}",
                    "type": kind,
                    "createdAt": event.created_at.isoformat(),
                    "data": {"feedback": views[event.subject_id]},
                },
                "status": "PENDING",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event, kind in feedback_events
            for hook in hooks
            if kind in hook.events.split() and event.subject_id in views
        ]
        try:
            # The primary key of relayed events makes a second process's copy of this batch fail whole.
            await session.execute(insert(WebhookRelayedEvent), [{"event_id": e.id} for e in events])
            if rows:
                await session.execute(insert(AppWebhookDelivery), rows)
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return 0
        return len(events)


# ---------------------------------------------------------------- step 2: send


async def send_due(
    session_factory: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    limit: int = 20,
    base: timedelta = BASE_BACKOFF,
) -> int:
    """Claim and send the deliveries that are due. Returns how many were attempted."""
    now = utcnow()
    async with session_factory() as session:
        due = (
            (
                await session.execute(
                    select(AppWebhookDelivery, AppWebhook.url, AppWebhook.secret)
                    .join(AppWebhook, AppWebhook.id == AppWebhookDelivery.webhook_id)
                    .where(
                        AppWebhookDelivery.status == "PENDING",
                        AppWebhookDelivery.next_attempt_at <= now,
                        or_(
                            AppWebhookDelivery.claimed_until.is_(None), AppWebhookDelivery.claimed_until < now
                        ),
                    )
                    .order_by(AppWebhookDelivery.next_attempt_at)
                    .limit(limit)
                )
            )
            .tuples()
            .all()
        )
        claimed = []
        for delivery, url, secret in due:
            won = await session.execute(
                update(AppWebhookDelivery)
                .where(
                    AppWebhookDelivery.id == delivery.id,
                    AppWebhookDelivery.status == "PENDING",
                    or_(AppWebhookDelivery.claimed_until.is_(None), AppWebhookDelivery.claimed_until < now),
                )
                .values(claimed_until=now + CLAIM)
            )
            if won.rowcount == 1:
                claimed.append(
                    (delivery.id, delivery.event_type, delivery.payload, delivery.attempts, url, secret)
                )
        await session.commit()
    if not claimed:
        return 0
    outcomes = await asyncio.gather(*(_post(client, base, *c) for c in claimed))
    async with session_factory() as session:
        for values in outcomes:
            await session.execute(
                update(AppWebhookDelivery).where(AppWebhookDelivery.id == values.pop("id")).values(**values)
            )
        await session.commit()
    return len(claimed)


async def _post(
    client: httpx.AsyncClient,
    base: timedelta,
    delivery_id: int,
    kind: str,
    payload: dict[str, Any],
    attempts: int,
    url: str,
    secret: str,
) -> dict[str, Any]:
    body = orjson.dumps(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "citizen-hub-webhooks/1",
        "X-Hub-Event": kind,
        "X-Hub-Delivery": str(payload.get("id")),
        SIGNATURE_HEADER: sign(secret, body),
    }
    status: int | None = None
    error: str | None = None
    try:
        response = await client.post(url, content=body, headers=headers)
        status = response.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    attempts += 1
    now = utcnow()
    values: dict[str, Any] = {
        "id": delivery_id,
        "attempts": attempts,
        "last_response_status": status,
        "last_error": error if error else (None if status and 200 <= status < 300 else f"HTTP {status}"),
        "claimed_until": None,
    }
    if status is not None and 200 <= status < 300:
        values.update(status="DELIVERED", delivered_at=now)
    elif attempts >= MAX_ATTEMPTS:
        values.update(status="FAILED")
    else:
        delay = backoff_seconds(attempts, base.total_seconds(), MAX_BACKOFF.total_seconds())
        values.update(next_attempt_at=now + timedelta(seconds=delay))
    return values


@contextlib.asynccontextmanager
async def webhook_worker(hub: Any, poll_seconds: float = 1.0) -> AsyncIterator[None]:
    """Run relay and sending in the background for the lifetime of the app."""

    retry_base = timedelta(seconds=hub.settings.webhook_retry_base_seconds)

    async def loop() -> None:
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
            while True:
                try:
                    read = await relay(hub.session_factory)
                    sent = await send_due(hub.session_factory, client, base=retry_base)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bad moment (database restarting…) must not end the loop
                    log.exception("webhook worker step failed")
                    read = sent = 0
                if not read and not sent:
                    await asyncio.sleep(poll_seconds)

    task = asyncio.create_task(loop(), name="app-webhooks")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def next_attempt_in(delivery: AppWebhookDelivery, now: datetime) -> float | None:
    if delivery.status != "PENDING":
        return None
    return max(0.0, (delivery.next_attempt_at - now).total_seconds())
