"""ASGI middleware: request id, one structured log line per request, security headers; bearer auth."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.identity.principal import ANONYMOUS
from server.identity.tokens import InvalidToken, TokenIssuer

log = logging.getLogger("citizen_hub.request")

# The PWA and every page the hub serves: no inline script, nothing from other origins.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
]


class RequestLogMiddleware:
    """Gives every request an id (X-Request-ID, echoed), adds security headers, logs one JSON line."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", STRICT_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if self.log_requests:
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope.get("method", "WS"),
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )


def graphql_error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})


class BearerAuthMiddleware:
    """Turns `Authorization: Bearer …` into a Principal in scope['state'].

    No header: an anonymous visitor. A header with a bad, expired or foreign token: HTTP 401 with a
    GraphQL-shaped error, so a client knows to refresh instead of silently seeing public data.
    """

    def __init__(self, app: ASGIApp, tokens: Any, grants: Any = None) -> None:
        self.app = app
        self.tokens: TokenIssuer = tokens
        # For tokens an app holds for a resident: is the resident's consent still in force?
        self.grants = grants

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        client_ip = (scope.get("client") or ("", 0))[0]
        if scope["type"] != "http":
            state["principal"] = ANONYMOUS
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if header is None:
            state["principal"] = dataclasses.replace(ANONYMOUS, client_ip=client_ip)
            await self.app(scope, receive, send)
            return
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise InvalidToken("not a bearer token")
            principal = self.tokens.verify(token.strip())
            if (
                self.grants is not None
                and principal.app_id is not None
                and principal.account_id is not None
                and not await self.grants.active(principal.app_id, principal.account_id)
            ):
                raise InvalidToken("the resident revoked this app's access")
        except InvalidToken:
            body = graphql_error_body("The access token is missing, invalid or expired.", "UNAUTHENTICATED")
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer error="invalid_token"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        state["principal"] = dataclasses.replace(principal, client_ip=client_ip)
        await self.app(scope, receive, send)


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line: what log collectors read without a parser of ours."""

    _skip = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in self._skip})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("citizen_hub")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
