"""Persisted queries: Apollo's automatic persisted queries (APQ) and an allow-list mode.

APQ (PERSISTED_QUERIES=apq, the default): a client sends extensions.persistedQuery {version: 1,
sha256Hash} without the query; an unknown hash gets the error PERSISTED_QUERY_NOT_FOUND (message
"PersistedQueryNotFound", as Apollo clients expect), and the client sends hash and query together,
which registers the query once it validates. Kept in Redis when configured, else in a process LRU.

Allow-list (PERSISTED_QUERIES=allowlist): only the documents of PERSISTED_QUERIES_FILE run, asked for
by hash or sent in full; anything else gets PERSISTED_QUERY_NOT_IN_LIST. The file is either a JSON
object {sha256: document} or an Apollo persisted query manifest ({"operations": [{"id", "body"}]}).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from server.config import Settings, SettingsError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
APQ_TTL_SECONDS = 7 * 24 * 3600


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _not_in_list() -> GraphQLError:
    return _error(
        "Only the hub's persisted queries run here, and this one is not in the list.",
        "PERSISTED_QUERY_NOT_IN_LIST",
    )


def load_allowlist(path: Path) -> dict[str, str]:
    """sha256 -> document; refuses a file whose hash and document disagree."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"PERSISTED_QUERIES_FILE {path} cannot be read as JSON: {exc}") from None
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        pairs = [(op.get("id"), op.get("body")) for op in raw["operations"] if isinstance(op, dict)]
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise SettingsError(f"PERSISTED_QUERIES_FILE {path} must hold a JSON object")
    allowed: dict[str, str] = {}
    for digest, document in pairs:
        if not isinstance(document, str) or not isinstance(digest, str) or sha256_hex(document) != digest:
            raise SettingsError(f"PERSISTED_QUERIES_FILE {path}: {digest!r} is not the sha256 of its query")
        allowed[digest] = document
    return allowed


class PersistedQueryStore:
    mode = "apq"

    async def get(self, digest: str) -> str | None:
        raise NotImplementedError

    async def put(self, digest: str, query: str) -> None:
        raise NotImplementedError


class MemoryStore(PersistedQueryStore):
    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._queries: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        query = self._queries.get(digest)
        if query is not None:
            self._queries.move_to_end(digest)
        return query

    async def put(self, digest: str, query: str) -> None:
        self._queries[digest] = query
        while len(self._queries) > self.size:
            self._queries.popitem(last=False)


class RedisStore(PersistedQueryStore):
    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    async def get(self, digest: str) -> str | None:
        return await self.redis.get(self.prefix + digest)

    async def put(self, digest: str, query: str) -> None:
        await self.redis.set(self.prefix + digest, query, ex=APQ_TTL_SECONDS)


class AllowList(PersistedQueryStore):
    mode = "allowlist"

    def __init__(self, documents: dict[str, str]) -> None:
        self.documents = documents

    async def get(self, digest: str) -> str | None:
        return self.documents.get(digest)

    async def put(self, digest: str, query: str) -> None:  # the list changes only with a deploy
        return None


class Disabled(PersistedQueryStore):
    mode = "off"

    async def get(self, digest: str) -> str | None:
        return None


def build_store(settings: Settings, redis: Any) -> PersistedQueryStore:
    if settings.persisted_queries == "off":
        return Disabled()
    if settings.persisted_queries == "allowlist":
        assert settings.persisted_queries_file is not None  # Settings refuses allowlist without a file
        return AllowList(load_allowlist(settings.persisted_queries_file))
    if redis is not None:
        return RedisStore(redis, settings.redis_key_prefix + "apq:")
    return MemoryStore(settings.graphql_document_cache_size)


class PersistedQueries(SchemaExtension):
    """Turns extensions.persistedQuery into the query text before parsing; enforces the allow-list."""

    _register: str | None = None

    async def on_operation(self) -> AsyncIterator[None]:
        from graphql_schema.guard import guard_of

        ctx = self.execution_context
        guard = guard_of(ctx.context)
        if guard is not None:
            await self._resolve(ctx, guard.persisted)
        yield

    async def _resolve(self, ctx: Any, store: PersistedQueryStore) -> None:
        persisted = (ctx.operation_extensions or {}).get("persistedQuery")
        if persisted is None:
            if store.mode == "allowlist" and ctx.query is not None:
                if await store.get(sha256_hex(ctx.query)) is None:
                    raise _not_in_list()
            return
        if store.mode == "off":
            raise _error("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(digest, str)
            or not _SHA256.match(digest)
        ):
            raise _error(
                "extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}.",
                "PERSISTED_QUERY_INVALID",
            )
        if ctx.query is None:
            query = await store.get(digest)
            if query is None:
                if store.mode == "allowlist":
                    raise _not_in_list()
                raise _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            ctx.query = query
            return
        if sha256_hex(ctx.query) != digest:
            raise _error(
                "The sha256Hash does not match the query sent with it.", "PERSISTED_QUERY_HASH_MISMATCH"
            )
        if store.mode == "allowlist":
            if await store.get(digest) is None:
                raise _not_in_list()
        else:
            self._register = digest

    async def on_validate(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context
        if self._register is not None and not ctx.pre_execution_errors:
            from graphql_schema.guard import guard_of

            guard = guard_of(ctx.context)
            if guard is not None:
                await guard.persisted.put(self._register, ctx.query)
