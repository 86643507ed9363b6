"""A short-lived cache of anonymous visitors' public feedback reads (the feed, nearby, statistics).

An anonymous visitor's answer to `feedbacks`, `similarFeedbacks` or `feedbackStats` depends only on the
query, its variables and the language, so the same request from any visitor gets the same data. The
cache skips execution (parsing, validation, the cost check and the rate limit still run as for any
request) and keeps an entry a short while (FEEDBACK_PUBLIC_CACHE_SECONDS, 2 s). Every change to a
feedback (GraphQL mutations, Open311, the 7-day sweep) empties it at once, in every process when
REDIS_URL is set (server/feedback/public_cache.py).
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import ExecutionResult, FieldNode, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension

from server.feedback.public_cache import Generation, current_generation, public_cache

PUBLIC_FIELDS = frozenset({"feedbacks", "similarFeedbacks", "feedbackStats"})


def _cacheable(execution_context: Any) -> bool:
    context = execution_context.context
    principal = getattr(context, "principal", None)
    if principal is None or not principal.is_anonymous:
        return False
    document = execution_context.graphql_document
    if document is None:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    return all(
        isinstance(s, FieldNode) and s.name.value in PUBLIC_FIELDS and not s.directives for s in selections
    )


class PublicFeedCache(SchemaExtension):
    async def on_execute(self):  # type: ignore[override]
        ec = self.execution_context
        key: bytes | None = None
        generation: Generation = (0, 0)
        if _cacheable(ec):
            hub = ec.context.hub
            key = orjson.dumps(
                [ec.query, ec.variables or {}, ec.operation_name, ec.context.language],
                option=orjson.OPT_SORT_KEYS,
            )
            generation = await current_generation(hub)
            cached = public_cache(hub).get(key, generation)
            if cached is not None:
                ec.result = ExecutionResult(data=cached, errors=None)
                key = None
        yield
        result = ec.result
        if key is not None and result is not None and not result.errors and result.data is not None:
            public_cache(ec.context.hub).put(key, result.data, generation)
