"""The push worker: sends what `push_deliveries` says is owed, so a restart loses no push.

The dispatcher writes one row per (notification, browser subscription) in the transaction that creates the
notifications. Every serve process runs a worker; each claims due rows in one statement — on PostgreSQL
with `FOR UPDATE SKIP LOCKED`, on SQLite (whose writers take turns) with the same conditional UPDATE — by
moving their `next_attempt_at` past the end of the send, so one process at a time sends a row and a crashed
worker's rows simply fall due again. Then, per row: accepted → deleted; 404/410 → the subscription is
deleted (and its rows with it); 429, 5xx, network errors → `attempts` + 1 and tried again after an
exponential backoff (at most an hour, never sooner than Retry-After), given up after `max_attempts`
(logged, row deleted). Delivery is at least once: a process killed mid-send sends that row again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db import utcnow
from server.identity.models import Account
from server.notify import texts
from server.notify.models import Notification, OutboxEvent, PushDelivery, PushSubscription
from server.notify.webpush import MAX_DELAY, PushJob, PushOutcome, PushSender, host
from server.retry import backoff_seconds

log = logging.getLogger("citizen_hub.push")
BATCH = 20
CONCURRENCY = 4
# How long a claim holds a row: longer than a batch of sends can take (timeouts included).
CLAIM = timedelta(seconds=300)


class PushWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: PushSender,
        *,
        base_url: str,
        poll_seconds: float = 1.0,
        backoff_seconds: float = 1.0,
        max_attempts: int = 5,
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.base_url = base_url
        self.poll = poll_seconds
        self.backoff = backoff_seconds
        self.max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._held: set[int] = set()  # rows this process claimed and has not settled yet
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="push-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._held:  # a clean shutdown hands its claims back at once rather than after CLAIM
            with contextlib.suppress(Exception):
                async with self.session_factory() as session:
                    await session.execute(
                        update(PushDelivery)
                        .where(PushDelivery.id.in_(sorted(self._held)))
                        .values(next_attempt_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                    await session.commit()
            self._held.clear()

    async def run(self) -> None:
        while True:
            busy = False
            try:
                busy = await self.work_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment: try again at the next poll
                log.exception("push delivery failed")
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()

    async def work_once(self) -> bool:
        """Claim a batch of due rows, send them, settle them; True when there was something to send."""
        jobs = await self._claim()
        if not jobs:
            return False
        limit = asyncio.Semaphore(CONCURRENCY)

        async def send(job: PushJob) -> PushOutcome:
            async with limit:
                return await self.sender.send(job)

        outcomes = await asyncio.gather(*(send(job) for job in jobs))
        await self._settle(list(zip(jobs, outcomes, strict=True)))
        return True

    async def _claim(self) -> list[PushJob]:
        async with self.session_factory() as session:
            now = utcnow()
            due = (
                select(PushDelivery.id)
                .where(PushDelivery.next_attempt_at <= now)
                .order_by(PushDelivery.next_attempt_at)
                .limit(BATCH)
            )
            if session.bind.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            claimed = list(
                await session.scalars(
                    update(PushDelivery)
                    .where(PushDelivery.id.in_(due), PushDelivery.next_attempt_at <= now)
                    .values(next_attempt_at=now + CLAIM)
                    .returning(PushDelivery.id)
                    .execution_options(synchronize_session=False)
                )
            )
            if not claimed:
                await session.rollback()
                return []
            await session.commit()
            self._held.update(claimed)
            rows = await session.execute(
                select(
                    PushDelivery.id,
                    PushDelivery.attempts,
                    PushSubscription,
                    Account.language,
                    OutboxEvent,
                )
                .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
                .join(Account, Account.id == PushSubscription.account_id)
                .join(Notification, Notification.id == PushDelivery.notification_id)
                .join(OutboxEvent, OutboxEvent.id == Notification.event_id)
                .where(PushDelivery.id.in_(claimed))
            )
            jobs = [self._job(*row) for row in rows.all()]
            await session.commit()
        # A row whose subscription or notification vanished meanwhile was deleted with it (cascade).
        self._held.difference_update(set(claimed) - {job.delivery_id for job in jobs})
        return jobs

    def _job(
        self, pk: int, attempts: int, sub: PushSubscription, language: str, event: OutboxEvent
    ) -> PushJob:
        # Rendered at send time, in the recipient's language; only a title and a link: no personal data.
        title, _body = texts.render(event.kind, event.payload, "en" if language == "EN" else "vi")
        link = texts.link(event.subject_type, event.subject_id, self.base_url)
        urgent = bool(event.audience.get("urgent"))
        return PushJob(pk, sub.id, sub.endpoint, sub.p256dh, sub.auth, title, link, urgent, attempts)

    async def _settle(self, results: list[tuple[PushJob, PushOutcome]]) -> None:
        done: list[int] = []
        gone: list[int] = []
        retries: list[dict[str, Any]] = []
        now = utcnow()
        for job, outcome in results:
            attempts = job.attempts + 1
            if outcome.delivered:
                done.append(job.delivery_id)
            elif outcome.gone:
                log.info(
                    "push subscription %s is gone (%s); deleting it", job.subscription_id, outcome.status
                )
                gone.append(job.subscription_id)
                done.append(job.delivery_id)
            elif outcome.retryable and attempts < self.max_attempts:
                delay = backoff_seconds(
                    attempts, self.backoff, MAX_DELAY, jitter=0.25, at_least=outcome.retry_after
                )
                retries.append(_retry(job.delivery_id, attempts, now + timedelta(seconds=delay), outcome))
            else:
                log.warning(
                    "push %s to %s refused with %s after %s attempts; giving up",
                    job.delivery_id,
                    host(job.endpoint),
                    outcome.status or outcome.error,
                    attempts,
                )
                done.append(job.delivery_id)
        async with self.session_factory() as session:
            if done:
                await session.execute(
                    delete(PushDelivery)
                    .where(PushDelivery.id.in_(done))
                    .execution_options(synchronize_session=False)
                )
            if gone:
                await session.execute(
                    delete(PushSubscription)
                    .where(PushSubscription.id.in_(gone))
                    .execution_options(synchronize_session=False)
                )
            if retries:  # one executemany, whatever the number of rows
                await session.execute(update(PushDelivery), retries)
            await session.commit()
        self._held.difference_update(job.delivery_id for job, _ in results)


def _retry(pk: int, attempts: int, when: datetime, outcome: PushOutcome) -> dict[str, Any]:
    error = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error or "network error"
    return {"id": pk, "attempts": attempts, "next_attempt_at": when, "last_error": error[:200]}
