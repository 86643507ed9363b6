"""Fan-out of delivered notifications to this process's live subscribers.

The dispatcher publishes one message per event: the event's data and its (account, notification) pairs.
Without Redis the message goes straight to this process's subscribers. With REDIS_URL set it goes to a
Redis pub/sub channel (named with Settings.redis_prefix) that every process listens to, so a subscriber
connected to any process receives what the dispatcher of any other process delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

log = logging.getLogger("citizen_hub.notify")
QUEUE_SIZE = 256


@dataclass(frozen=True)
class LiveNotification:
    """A notification as a live subscriber gets it: enough to render without reading the database."""

    id: int
    account_id: int
    kind: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class SubjectChanged:
    subject_type: str
    subject_id: int


class Fanout:
    def __init__(self, redis: Any = None, prefix: str = "citizen-hub") -> None:
        self.redis = redis
        self.channel = f"{prefix}:notify:deliveries"
        self.wake_channel = f"{prefix}:notify:wake"
        self._by_account: dict[int, set[asyncio.Queue[Any]]] = defaultdict(set)
        self._by_subject: dict[tuple[str, int], set[asyncio.Queue[Any]]] = defaultdict(set)
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.on_wake: Callable[[], None] | None = None

    # ------------------------------------------------------------ subscribers

    @contextlib.contextmanager
    def account_queue(self, account_id: int):  # type: ignore[no-untyped-def]
        queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_SIZE)
        self._by_account[account_id].add(queue)
        try:
            yield queue
        finally:
            self._discard(self._by_account, account_id, queue)

    @contextlib.contextmanager
    def subject_queue(self, subject_type: str, subject_id: int):  # type: ignore[no-untyped-def]
        queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_SIZE)
        key = (subject_type, subject_id)
        self._by_subject[key].add(queue)
        try:
            yield queue
        finally:
            self._discard(self._by_subject, key, queue)

    @staticmethod
    def _discard(index: dict[Any, set[asyncio.Queue[Any]]], key: Any, queue: asyncio.Queue[Any]) -> None:
        queues = index.get(key)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del index[key]

    @property
    def subscriber_count(self) -> int:
        return sum(len(q) for q in self._by_account.values()) + sum(len(q) for q in self._by_subject.values())

    # ------------------------------------------------------------ publishing

    async def publish(self, message: dict[str, Any]) -> None:
        """Hand one event's deliveries to every process's subscribers."""
        if self.redis is None:
            self.deliver_local(message)
        else:
            await self.redis.publish(self.channel, orjson.dumps(message).decode())

    async def wake_dispatchers(self) -> None:
        """Tell the process holding the dispatcher lease that new events committed."""
        if self.redis is not None:
            await self.redis.publish(self.wake_channel, "1")

    def deliver_local(self, message: dict[str, Any]) -> None:
        event = message["event"]
        created_at = datetime.fromisoformat(event["created_at"])
        for account_id, notification_id in message["recipients"]:
            queues = self._by_account.get(account_id)
            if not queues:
                continue
            item = LiveNotification(
                notification_id,
                account_id,
                event["kind"],
                event["subject_type"],
                event["subject_id"],
                event["payload"],
                created_at,
            )
            for queue in list(queues):
                _offer(queue, item)
        subject_queues = self._by_subject.get((event["subject_type"], event["subject_id"]))
        if subject_queues:
            changed = SubjectChanged(event["subject_type"], event["subject_id"])
            for queue in list(subject_queues):
                _offer(queue, changed)

    # ------------------------------------------------------------ Redis listener

    async def start(self) -> None:
        if self.redis is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="notify-fanout")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), 5)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel, self.wake_channel)
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    if message["channel"] == self.wake_channel:
                        if self.on_wake is not None:
                            self.on_wake()
                        continue
                    try:
                        self.deliver_local(orjson.loads(message["data"]))
                    except Exception:  # one bad message must not stop the listener
                        log.exception("bad fan-out message")
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: retry; the inbox keeps everything meanwhile
                log.exception("Redis fan-out listener failed; retrying")
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def _offer(queue: asyncio.Queue[Any], item: Any) -> None:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:  # a subscriber that does not read loses live messages, never inbox rows
        log.warning("live subscriber queue full; message dropped (it stays in the inbox)")
