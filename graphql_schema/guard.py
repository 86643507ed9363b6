"""The per-hub state of the GraphQL guards: limits, document cache, rate-limit buckets, persisted queries.

Built from the hub's settings on first use and kept in hub.extras, so several hubs in one process (tests)
never share caches or buckets, and importing this module does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_schema.cost import CostAndRateLimit
from graphql_schema.limits import DocumentCache, DocumentLimits, ExecutionTimeout, Limits
from graphql_schema.persisted import PersistedQueries, PersistedQueryStore, build_store
from server.ratelimit import Buckets, build_buckets

_KEY = "graphql_guard"

# In this order, first in the schema's list (they may refuse an operation before others start):
# resolve persisted queries, parse/limit/validate (cached), price and rate-limit, then time execution.
GUARD_EXTENSIONS = (PersistedQueries, DocumentLimits, CostAndRateLimit, ExecutionTimeout)


@dataclass
class Guard:
    limits: Limits
    documents: DocumentCache
    buckets: Buckets
    persisted: PersistedQueryStore


def build_guard(hub: Any) -> Guard:
    settings = hub.settings
    return Guard(
        limits=Limits.from_settings(settings),
        documents=DocumentCache(settings.graphql_document_cache_size),
        buckets=build_buckets(settings, hub.redis),
        persisted=build_store(settings, hub.redis),
    )


def guard_of(context: Any) -> Guard | None:
    """The guard of the context's hub; None for a context without a hub (never the case over HTTP/WS)."""
    hub = getattr(context, "hub", None)
    if hub is None:
        return None
    guard = hub.extras.get(_KEY)
    if guard is None:
        guard = hub.extras[_KEY] = build_guard(hub)
    return guard
