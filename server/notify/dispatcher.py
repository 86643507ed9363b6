"""The dispatcher: committed outbox events -> notification rows -> live subscribers and Web Push.

Two steps, each its own transaction, each marked on the event, so a crash anywhere loses nothing:
1. materialise: resolve the event's audience, insert one notification per recipient (the unique
   (event_id, account_id) constraint makes a repeat insert nothing) and, for each new notification, one
   `push_deliveries` row per browser subscription that should get it (server/notify/push_worker.py sends
   them), set `dispatched_at`;
2. deliver: publish the notifications to live subscribers (this process, or every process through Redis),
   set `delivered_at`. After a crash step 2 runs again: delivery is at
   least once, while the inbox holds exactly one notification per recipient and event.

One dispatcher runs at a time across processes: it holds a lease row (`dispatcher_leases`), renewed while
it runs and released on shutdown; a crashed holder's lease expires after DISPATCH_LEASE_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db import utcnow
from server.notify import audience as audiences
from server.notify.fanout import Fanout
from server.notify.models import (
    DispatcherLease,
    Notification,
    NotificationPreference,
    OutboxEvent,
    PushDelivery,
    PushSubscription,
)
from server.notify.outbox import Audience

if TYPE_CHECKING:
    from server.notify.push_worker import PushWorker

log = logging.getLogger("citizen_hub.notify")
LEASE_NAME = "outbox"
BATCH = 50
CHUNK = 500


class Dispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        fanout: Fanout,
        push_worker: PushWorker | None,
        *,
        base_url: str,
        poll_seconds: float = 1.0,
        delay_seconds: float = 0.0,
        lease_seconds: float = 10.0,
    ) -> None:
        self.session_factory = session_factory
        self.fanout = fanout
        self.push_worker = push_worker
        self.base_url = base_url
        self.poll = poll_seconds
        self.delay = timedelta(seconds=delay_seconds)
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease_until: Any = None
        self._wake = asyncio.Event()

    # ------------------------------------------------------------ loop

    def wake(self) -> None:
        self._wake.set()

    @property
    def holds_lease(self) -> bool:
        return self._lease_until is not None and self._lease_until > utcnow()

    async def run(self) -> None:
        while True:
            busy = False
            try:
                if await self._hold_lease():
                    busy = await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment: try again at the next poll
                log.exception("dispatch failed")
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()

    async def dispatch_once(self) -> bool:
        """Run both steps over a batch of what is pending; True when there was something to do.

        Each step handles its batch in one transaction (a few statements per event, one commit per batch).
        """
        async with self.session_factory() as session:
            cutoff = utcnow() - self.delay
            pending = list(
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.created_at <= cutoff)
                    .order_by(OutboxEvent.id)
                    .limit(BATCH)
                )
            )
            if pending:
                await self._materialise(session, pending)
            undelivered = list(
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched_at.is_not(None), OutboxEvent.delivered_at.is_(None))
                    .order_by(OutboxEvent.id)
                    .limit(BATCH)
                )
            )
            if undelivered:
                await self._deliver(session, undelivered)
            return bool(pending or undelivered)

    # ------------------------------------------------------------ step 1

    async def _materialise(self, session: AsyncSession, events: list[OutboxEvent]) -> None:
        existing = set(
            (
                await session.execute(
                    select(Notification.event_id, Notification.account_id).where(
                        Notification.event_id.in_([e.id for e in events])
                    )
                )
            ).all()
        )
        rows = []
        for event in events:
            recipients = await audiences.resolve(session, Audience.from_json(event.audience))
            rows += [
                {"event_id": event.id, "account_id": pk, "kind": event.kind, "created_at": event.created_at}
                for pk in sorted(recipients)
                if (event.id, pk) not in existing
            ]
        created: dict[int, list[tuple[int, int]]] = {}  # event id -> its new (notification, account) ids
        returning = insert(Notification).returning(
            Notification.id, Notification.account_id, Notification.event_id, sort_by_parameter_order=True
        )
        for start in range(0, len(rows), CHUNK):
            for pk, account_id, event_id in (
                await session.execute(returning, rows[start : start + CHUNK])
            ).all():
                created.setdefault(event_id, []).append((pk, account_id))
        # Most hubs have few push subscriptions: one cheap look saves a query per event.
        if created and await session.scalar(select(PushSubscription.id).limit(1)) is not None:
            for event in events:
                if event.id in created:
                    await self._owe_pushes(session, event, created[event.id])
        now = utcnow()
        for event in events:
            event.dispatched_at = now
        await session.commit()
        if created and self.push_worker is not None:
            self.push_worker.wake()

    async def _owe_pushes(
        self, session: AsyncSession, event: OutboxEvent, new: list[tuple[int, int]]
    ) -> None:
        """One push_deliveries row per (new notification, subscription of its recipient that wants it).

        Only notifications created in this transaction: a replayed event pushes nothing twice.
        """
        urgent = bool(event.audience.get("urgent"))
        notification_of = {account_id: pk for pk, account_id in new}
        accounts = sorted(notification_of)
        now = utcnow()
        for start in range(0, len(accounts), CHUNK):
            chunk = accounts[start : start + CHUNK]
            query = select(PushSubscription.id, PushSubscription.account_id).where(
                PushSubscription.account_id.in_(chunk)
            )
            if not urgent:  # EMERGENCY pushes whatever the preferences say
                muted = select(NotificationPreference.account_id).where(
                    NotificationPreference.kind == event.kind, NotificationPreference.push.is_(False)
                )
                query = query.where(PushSubscription.account_id.not_in(muted))
            owed = [
                {
                    "notification_id": notification_of[account_id],
                    "subscription_id": sub_id,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for sub_id, account_id in (await session.execute(query)).all()
            ]
            if owed:
                await session.execute(insert(PushDelivery), owed)

    # ------------------------------------------------------------ step 2

    async def _deliver(self, session: AsyncSession, events: list[OutboxEvent]) -> None:
        pairs: dict[int, list[tuple[int, int]]] = {e.id: [] for e in events}
        rows = await session.execute(
            select(Notification.event_id, Notification.account_id, Notification.id).where(
                Notification.event_id.in_(list(pairs))
            )
        )
        for event_id, account_id, pk in rows.all():
            pairs[event_id].append((account_id, pk))
        for event in events:
            recipients = pairs[event.id]
            message = {
                "event": {
                    "id": event.id,
                    "kind": event.kind,
                    "subject_type": event.subject_type,
                    "subject_id": event.subject_id,
                    "payload": event.payload,
                    "created_at": event.created_at.isoformat(),
                },
                "recipients": [[account_id, pk] for account_id, pk in recipients],
            }
            await self.fanout.publish(message)
        now = utcnow()
        for event in events:
            event.delivered_at = now
        await session.commit()

    # ------------------------------------------------------------ lease

    async def _hold_lease(self) -> bool:
        now = utcnow()
        if self._lease_until is not None and now < self._lease_until - self.lease / 2:
            return True
        async with self.session_factory() as session:
            until = now + self.lease
            result = await session.execute(
                update(DispatcherLease)
                .where(
                    DispatcherLease.name == LEASE_NAME,
                    or_(DispatcherLease.holder == self.holder, DispatcherLease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=until)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                await session.commit()
                if self._lease_until is None:
                    log.info("dispatcher lease taken by %s", self.holder)
                self._lease_until = until
                return True
            present = await session.scalar(
                select(DispatcherLease.name).where(DispatcherLease.name == LEASE_NAME)
            )
            if present is None:
                session.add(DispatcherLease(name=LEASE_NAME, holder=self.holder, expires_at=until))
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    self._lease_until = None
                    return False
                self._lease_until = until
                return True
            await session.rollback()
            self._lease_until = None
            return False

    async def release(self) -> None:
        if self._lease_until is None:
            return
        with contextlib.suppress(Exception):
            async with self.session_factory() as session:
                await session.execute(
                    update(DispatcherLease)
                    .where(DispatcherLease.name == LEASE_NAME, DispatcherLease.holder == self.holder)
                    .values(expires_at=utcnow())
                )
                await session.commit()
        self._lease_until = None
