"""The generation counter and entries of the public feedback cache (graphql_schema/feed_cache.py).

Kept on the Hub. Every entry point that changes feedback (GraphQL mutations, Open311, the sweep) calls
`public_feedback_changed(hub)`, which empties this process's entries at once. With REDIS_URL set it also
increments a generation number in Redis that every process reads before answering from its cache, so a
change made through one process invalidates the others' entries too; without Redis, other processes
see the change when their entries expire (setting FEEDBACK_PUBLIC_CACHE_SECONDS, 2 s by default).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from server.hub import Hub

MAX_ENTRIES = 512
_KEY = "feedback_public_cache"
REDIS_GENERATION = "feedback:public-generation"

Generation = tuple[int, int]  # (this process's changes, changes announced through Redis)


class _Store:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self.local = 0
        self.entries: OrderedDict[bytes, tuple[Generation, float, Any]] = OrderedDict()

    def get(self, key: bytes, generation: Generation) -> Any:
        found = self.entries.get(key)
        if found is None:
            return None
        stored, expires, data = found
        if stored != generation or expires < time.monotonic():
            del self.entries[key]
            return None
        return data

    def put(self, key: bytes, data: Any, generation: Generation) -> None:
        """Store data computed while `generation` was current (a change since then makes it stale)."""
        if generation[0] != self.local or self.ttl_seconds <= 0:
            return
        self.entries[key] = (generation, time.monotonic() + self.ttl_seconds, data)
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)


def public_cache(hub: Hub) -> _Store:
    store = hub.extras.get(_KEY)
    if store is None:
        store = hub.extras[_KEY] = _Store(hub.settings.feedback_public_cache_seconds)
    return store


def _redis_key(hub: Hub) -> str:
    return hub.settings.redis_key_prefix + REDIS_GENERATION


async def current_generation(hub: Hub) -> Generation:
    store = public_cache(hub)
    if hub.redis is None:
        return store.local, 0
    return store.local, int(await hub.redis.get(_redis_key(hub)) or 0)


async def public_feedback_changed(hub: Hub) -> None:
    """Call after a committed change to any feedback: cached public answers are stale now, everywhere."""
    store = public_cache(hub)
    store.local += 1
    store.entries.clear()
    if hub.redis is not None:
        await hub.redis.incr(_redis_key(hub))
