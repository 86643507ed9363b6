"""The generation counter and entries of the public feedback cache (graphql_schema/feed_cache.py).

Kept on the Hub, so every entry point that changes feedback in this process (GraphQL, Open311, the
sweep) can empty it with `feedback_changed(hub)`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from server.hub import Hub

TTL_SECONDS = 2.0
MAX_ENTRIES = 512
_KEY = "feedback_public_cache"


class _Store:
    def __init__(self) -> None:
        self.generation = 0
        self.entries: OrderedDict[bytes, tuple[int, float, Any]] = OrderedDict()

    def get(self, key: bytes) -> Any:
        found = self.entries.get(key)
        if found is None:
            return None
        generation, expires, data = found
        if generation != self.generation or expires < time.monotonic():
            del self.entries[key]
            return None
        return data

    def put(self, key: bytes, data: Any, generation: int) -> None:
        """Store data computed while `generation` was current (a change since then makes it stale)."""
        if generation != self.generation:
            return
        self.entries[key] = (generation, time.monotonic() + TTL_SECONDS, data)
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)


def public_cache(hub: Hub) -> _Store:
    store = hub.extras.get(_KEY)
    if store is None:
        store = hub.extras[_KEY] = _Store()
    return store


def feedback_changed(hub: Hub) -> None:
    """Call after a committed change to any feedback: cached public answers are stale now."""
    store = public_cache(hub)
    store.generation += 1
    store.entries.clear()
