"""POST /integrations/lgsp/dossier-events: the provincial integration platform's signed webhook.

Answers, in the order they are decided:
- 503 while LGSP_WEBHOOK_SECRET is unset (the hub cannot tell the platform from anyone else);
- 401 without an `X-Signature-256: sha256=<hex>` header;
- 413 when the body passes 1 MiB (read with a cap: a missing or lying Content-Length changes nothing);
- 401 when the header is not the HMAC-SHA256 of the raw body with the secret (compared in constant time);
- 400 when the body is not JSON;
- 422 `{"errors": [{"index", "field", "message"}]}` listing every bad event; nothing of the batch is stored;
- 200 `{"accepted": N, "duplicates": M}`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.records.ingest import parse_batch

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_HEADER = "x-signature-256"


class BodyTooLarge(Exception):
    pass


def sign(secret: str, body: bytes) -> str:
    """The header value the platform sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().lower().encode())


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"errors": [{"index": None, "field": None, "message": message}]}, status)


def lgsp_endpoint(current_hub: Callable[[], Any]) -> Callable[[Request], Any]:
    async def receive_events(request: Request) -> Response:
        from server.records.service import ingest_batch

        hub = current_hub()
        secret = hub.settings.lgsp_webhook_secret
        if not secret:
            return _error(503, "the LGSP webhook is not configured (LGSP_WEBHOOK_SECRET is unset)")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return _error(401, "X-Signature-256 is missing")
        try:
            body = await read_capped(request)
        except BodyTooLarge:
            return _error(413, f"the body must not pass {MAX_BODY_BYTES} bytes")
        if not signature_matches(secret, body, header):
            return _error(401, "X-Signature-256 does not match the body")
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _error(400, "the body is not JSON")
        events, problems = parse_batch(parsed)
        if problems:
            return JSONResponse({"errors": [p.as_json() for p in problems]}, 422)
        async with hub.session_factory() as session:
            result = await ingest_batch(session, events)
        return JSONResponse({"accepted": result.accepted, "duplicates": result.duplicates})

    return receive_events
