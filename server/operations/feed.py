"""The operations centre's live feed: new feedback, status changes, things passing their due time, and
emergency announcements, as they are committed.

Each process polls the database (about once a second, only while someone subscribes) and hands what is new
to its own subscribers; so every process's subscribers see everything, with or without Redis. Rows are
read by id with a look-back window and a memory of the ids already sent, so a transaction that commits a
lower id after a higher one is still seen, once. "Passed its due time" is read as a due time falling in the
interval since the previous poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.catalog.models import Agency, Procedure
from server.db import utcnow
from server.feedback.models import Feedback, FeedbackEvent
from server.notify.models import Announcement
from server.records.models import TERMINAL_STATUSES, Dossier, DossierEvent

log = logging.getLogger("citizen_hub.operations")
POLL_SECONDS = 1.0
LOOK_BACK = 200  # ids below the highest seen that may still commit late
QUEUE_SIZE = 512
OPEN_FEEDBACK = ("SUBMITTED", "ASSIGNED", "IN_PROGRESS")
FEEDBACK_CHANGES = ("ASSIGNED", "STATUS_CHANGED", "REOPENED")


@dataclass(frozen=True)
class OperationsItem:
    kind: str  # FEEDBACK_SUBMITTED | FEEDBACK_STATUS_CHANGED | FEEDBACK_OVERDUE | DOSSIER_STATUS_CHANGED
    #            | DOSSIER_OVERDUE | EMERGENCY_ANNOUNCEMENT
    occurred_at: datetime
    subject_type: str
    subject_id: int
    reference: str
    title: str
    status: str | None = None
    agency_id: int | None = None
    unit_id: int | None = None


@dataclass
class _Source:
    """Where one table's reading stands."""

    cursor: int = 0
    sent: set[int] = field(default_factory=set)

    def fresh(self, ids: list[int]) -> set[int]:
        new = {i for i in ids if i not in self.sent}
        self.sent |= new
        if ids:
            self.cursor = max(self.cursor, *ids)
        self.sent = {i for i in self.sent if i > self.cursor - LOOK_BACK}
        return new

    @property
    def floor(self) -> int:
        return self.cursor - LOOK_BACK


class OperationsFeed:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self.subscribers: set[asyncio.Queue[OperationsItem]] = set()
        self._task: asyncio.Task[None] | None = None
        self._sources: dict[str, _Source] = {}
        self._since: datetime = utcnow()
        self._started = asyncio.Event()

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[OperationsItem]]:
        queue: asyncio.Queue[OperationsItem] = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        if self._task is None or self._task.done():
            self._started.clear()
            self._task = asyncio.create_task(self._run(), name="operations-feed")
        try:
            yield queue
        finally:
            self.subscribers.discard(queue)
            if not self.subscribers and self._task is not None:
                self._task.cancel()
                self._task = None

    async def ready(self, wait: float = 10) -> None:
        """Wait until the feed has read where the tables stand (what is committed later will be sent)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._started.wait(), wait)

    async def _run(self) -> None:
        async with self.session_factory() as session:
            await self._start_cursors(session)
        self._started.set()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                async with self.session_factory() as session:
                    items = await self._poll(session)
            except asyncio.CancelledError:
                raise
            except Exception:  # the next poll reads the same window again
                log.exception("operations feed poll failed")
                continue
            for item in sorted(items, key=lambda i: i.occurred_at):
                for queue in list(self.subscribers):
                    try:
                        queue.put_nowait(item)
                    except asyncio.QueueFull:
                        log.warning("operations subscriber too slow; event dropped")

    async def _start_cursors(self, session: AsyncSession) -> None:
        for name, model in (
            ("feedback", Feedback),
            ("feedback_events", FeedbackEvent),
            ("dossier_events", DossierEvent),
            ("announcements", Announcement),
        ):
            top = await session.scalar(select(func.max(model.id)))  # type: ignore[attr-defined]
            self._sources[name] = _Source(cursor=top or 0)
            # Ids in the look-back window that already exist are not news.
            self._sources[name].sent = set(
                await session.scalars(
                    select(model.id).where(model.id > (top or 0) - LOOK_BACK)  # type: ignore[attr-defined]
                )
            )
        self._since = utcnow()

    async def _poll(self, session: AsyncSession) -> list[OperationsItem]:
        now = utcnow()
        items: list[OperationsItem] = []
        items += await self._new_feedback(session)
        items += await self._feedback_changes(session)
        items += await self._dossier_changes(session)
        items += await self._emergencies(session)
        items += await self._overdue(session, self._since, now)
        self._since = now
        return items

    async def _new_feedback(self, session: AsyncSession) -> list[OperationsItem]:
        source = self._sources["feedback"]
        rows = list(await session.scalars(select(Feedback).where(Feedback.id > source.floor)))
        new = source.fresh([r.id for r in rows])
        return [
            OperationsItem(
                "FEEDBACK_SUBMITTED",
                r.created_at,
                "Feedback",
                r.id,
                r.reference_code or "",
                r.title,
                r.status,
                r.assigned_agency_id,
                r.unit_id,
            )
            for r in rows
            if r.id in new
        ]

    async def _feedback_changes(self, session: AsyncSession) -> list[OperationsItem]:
        source = self._sources["feedback_events"]
        rows = (
            await session.execute(
                select(FeedbackEvent, Feedback)
                .join(Feedback, Feedback.id == FeedbackEvent.feedback_id)
                .where(FeedbackEvent.id > source.floor)
            )
        ).all()
        new = source.fresh([event.id for event, _ in rows])
        return [
            OperationsItem(
                "FEEDBACK_STATUS_CHANGED",
                event.created_at,
                "Feedback",
                feedback.id,
                feedback.reference_code or "",
                feedback.title,
                event.status or feedback.status,
                feedback.assigned_agency_id,
                feedback.unit_id,
            )
            for event, feedback in rows
            if event.id in new and event.kind in FEEDBACK_CHANGES
        ]

    async def _dossier_changes(self, session: AsyncSession) -> list[OperationsItem]:
        source = self._sources["dossier_events"]
        rows = (
            await session.execute(
                select(DossierEvent, Dossier, Agency.id, Procedure.name)
                .join(Dossier, Dossier.id == DossierEvent.dossier_id)
                .outerjoin(Agency, Agency.code == Dossier.agency_code)
                .outerjoin(Procedure, Procedure.code == Dossier.procedure_code)
                .where(DossierEvent.id > source.floor)
            )
        ).all()
        new = source.fresh([event.id for event, *_ in rows])
        # The owner stays out of it: a code, a procedure and an agency are what the wall shows.
        return [
            OperationsItem(
                "DOSSIER_STATUS_CHANGED",
                event.occurred_at,
                "Dossier",
                dossier.id,
                dossier.code,
                procedure or dossier.procedure_name or dossier.procedure_code or "",
                event.status,
                agency_id,
                None,
            )
            for event, dossier, agency_id, procedure in rows
            if event.id in new
        ]

    async def _emergencies(self, session: AsyncSession) -> list[OperationsItem]:
        source = self._sources["announcements"]
        rows = list(await session.scalars(select(Announcement).where(Announcement.id > source.floor)))
        new = source.fresh([r.id for r in rows])
        return [
            OperationsItem(
                "EMERGENCY_ANNOUNCEMENT",
                r.published_at,
                "Announcement",
                r.id,
                r.title,
                r.body,
                r.severity,
                r.issuer_agency_id,
                None,
            )
            for r in rows
            if r.id in new and r.severity == "EMERGENCY"
        ]

    async def _overdue(self, session: AsyncSession, since: datetime, now: datetime) -> list[OperationsItem]:
        feedback = await session.scalars(
            select(Feedback).where(
                Feedback.due_at > since, Feedback.due_at <= now, Feedback.status.in_(OPEN_FEEDBACK)
            )
        )
        dossiers = (
            await session.execute(
                select(Dossier, Agency.id, Procedure.name)
                .outerjoin(Agency, Agency.code == Dossier.agency_code)
                .outerjoin(Procedure, Procedure.code == Dossier.procedure_code)
                .where(
                    Dossier.due_at > since,
                    Dossier.due_at <= now,
                    Dossier.status.not_in(list(TERMINAL_STATUSES)),
                )
            )
        ).all()
        items = [
            OperationsItem(
                "FEEDBACK_OVERDUE",
                f.due_at or now,
                "Feedback",
                f.id,
                f.reference_code or "",
                f.title,
                f.status,
                f.assigned_agency_id,
                f.unit_id,
            )
            for f in feedback
        ]
        items += [
            OperationsItem(
                "DOSSIER_OVERDUE",
                d.due_at or now,
                "Dossier",
                d.id,
                d.code,
                procedure or d.procedure_name or d.procedure_code or "",
                d.status,
                agency_id,
                None,
            )
            for d, agency_id, procedure in dossiers
        ]
        return items


def operations_feed(hub: Any) -> OperationsFeed:
    """The process's feed (kept in Hub.extras), made on first use."""
    feed = hub.extras.get("operations_feed")
    if feed is None:
        feed = hub.extras["operations_feed"] = OperationsFeed(hub.session_factory)
    return feed
