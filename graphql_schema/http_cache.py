"""HTTP caching of catalogue answers: ETag, Cache-Control and 304 for GET /graphql?query=… .

Generic and cheap: an ASGI layer in front of the GraphQL view. It acts only on GET requests whose operation
is a query selecting nothing but catalogue root fields (public data, the same for every principal). The
query is still executed; the ETag hashes the response's `data` (not `extensions`, which carry per-request
numbers such as rate-limit budgets) plus the request's language, so any change to the catalogue changes
it. When the client's If-None-Match holds that ETag the answer is 304 without a body.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qs

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.i18n import parse_accept_language

# Root fields whose answers are public catalogue data. node(id) is left out: it can reach any type.
CATALOG_ROOT_FIELDS = frozenset(
    {
        "administrativeUnits",
        "agencies",
        "sectors",
        "procedures",
        "procedure",
        "feedbackCategories",
        "__typename",
    }
)
MAX_AGE_SECONDS = 60


def _root_fields(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    names: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                return {"?"}  # invalid document: let the view answer it, uncached
            fragments = {k: v for k, v in fragments.items() if k != selection.name.value}  # no cycles
            names |= _root_fields(fragment.selection_set, fragments)
    return names


@lru_cache(maxsize=512)
def is_catalog_query(query: str, operation_name: str | None) -> bool:
    """Whether the operation is a query that selects only catalogue root fields."""
    try:
        document: DocumentNode = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if operation_name is not None:
        operations = [op for op in operations if op.name is not None and op.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    fields = _root_fields(operations[0].selection_set, fragments)
    return bool(fields) and fields <= CATALOG_ROOT_FIELDS


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


class CatalogHttpCache:
    def __init__(self, app: ASGIApp, max_age: int = MAX_AGE_SECONDS) -> None:
        self.app = app
        self.max_age = max_age

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        query = params.get("query", [None])[0]
        if not query:
            return False
        return is_catalog_query(query, params.get("operationName", [None])[0] or None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        assert start is not None
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        etag = self._etag(scope, start["status"], body)
        if etag is None:
            await self._send(send, start["status"], headers, body)
            return
        private = _header(scope, b"authorization") is not None
        headers += [
            (b"etag", etag.encode()),
            (b"cache-control", f"{'private' if private else 'public'}, max-age={self.max_age}".encode()),
            (b"vary", b"Accept-Language, Authorization"),
        ]
        if _etag_matches(_header(scope, b"if-none-match"), etag):
            kept = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            await self._send(send, 304, kept, b"")
        else:
            await self._send(send, start["status"], headers, body)

    @staticmethod
    def _etag(scope: Scope, status: int, body: bytes) -> str | None:
        """A strong ETag of the answer's data and language; None when the answer is not cacheable."""
        if status != 200:
            return None
        try:
            result = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(result, dict) or result.get("errors") or result.get("data") is None:
            return None
        language = parse_accept_language(_header(scope, b"accept-language"))
        digest = hashlib.sha256(language.encode() + b"\0" + orjson.dumps(result["data"])).hexdigest()
        return f'"{digest[:40]}"'

    @staticmethod
    async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
