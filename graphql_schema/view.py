"""The strawberry ASGI view: builds the per-request Context, encodes JSON with orjson."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from typing import Any

import jwt
import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET, UnsetType

from graphql_schema.context import Context
from graphql_schema.transport import HubTransportWSHandler, refuse_unsafe_request, transport_error_response
from server.hub import Hub
from server.i18n import parse_accept_language
from server.identity.principal import ANONYMOUS
from server.identity.tokens import InvalidToken

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _ide_csp(html: str) -> str:
    """GraphiQL loads from unpkg and runs one inline script: allow exactly that script, by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' https://unpkg.com {hashes}; "
        "style-src 'self' https://unpkg.com 'unsafe-inline'; img-src 'self' data: https://unpkg.com; "
        "font-src 'self' data: https://unpkg.com; connect-src 'self' ws: wss:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


class HubGraphQL(GraphQL[Context, None]):
    # Lets a subscription resolver send a result it produced itself (graphql_schema/transport.py).
    graphql_transport_ws_handler_class = HubTransportWSHandler

    def __init__(self, schema: strawberry.Schema, hub_getter: Any, **options: Any) -> None:
        super().__init__(schema, **options)
        self._hub_getter = hub_getter
        self._ide_csp = _ide_csp(self.graphql_ide_html) if self.graphql_ide_html else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            refuse_unsafe_request(scope)
            response = await self.run(Request(scope, receive))
        except HTTPException as error:  # GraphQL-shaped, so clients read every refusal the same way
            response = transport_error_response(error)
        await response(scope, receive, send)

    def _validate_batch_request(self, request_data: Any, protocol: Any) -> None:
        raise HTTPException(
            400, "Batching is off: send one operation per request (a JSON object, not an array)."
        )

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        hub: Hub = self._hub_getter()
        principal = request.scope.get("state", {}).get("principal", ANONYMOUS)
        return Context(
            hub=hub,
            request=request,
            response=response if isinstance(response, Response) else None,
            principal=principal,
            language=parse_accept_language(request.headers.get("accept-language")),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws connection_init: the access token travels in its payload.

        A bad or expired token closes the connection (4403); no token leaves a visitor, who may follow
        public feedback but whom notificationReceived turns away (4401).
        """
        header = (context.connection_params or {}).get("Authorization")
        if header is None:
            return UNSET
        scheme, _, token = str(header).partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise InvalidToken("not a bearer token")
            principal = context.hub.tokens.verify(token.strip())
            expires = jwt.decode(token.strip(), options={"verify_signature": False}).get("exp")
            if principal.app_id is not None and principal.account_id is not None:
                from server.apps.service import grant_cache  # as for HTTP: a revoked app is refused

                if not await grant_cache(context.hub).active(principal.app_id, principal.account_id):
                    raise InvalidToken("the resident revoked this app's access")
        except (InvalidToken, jwt.PyJWTError):
            raise ConnectionRejectionError({"reason": "invalid or expired access token"}) from None
        client = context.request.client
        context.principal = dataclasses.replace(principal, client_ip=client.host if client else None)
        context.token_expires_at = float(expires) if expires is not None else None
        return UNSET

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self.graphql_ide_html, headers={"content-security-policy": self._ide_csp})

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
