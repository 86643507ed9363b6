"""What /graphql accepts over HTTP, before any GraphQL work, and how transport refusals look; and, for
graphql-transport-ws, the handler that lets a subscription resolver send its own results (at the end).

CSRF: a browser sends a cross-site POST without asking first (no CORS preflight) only when its
content type is text/plain, application/x-www-form-urlencoded or multipart/form-data. The first two
never reach GraphQL here (415). Multipart is how files are uploaded (the GraphQL multipart request
spec), so, following that spec's CSRF advice, a multipart POST must carry a non-empty
`GraphQL-Require-Preflight` (or Apollo's `Apollo-Require-Preflight`) header: a custom header forces the
browser to preflight, and the CORS policy (ALLOWED_ORIGINS) then stops foreign pages.
application/json always triggers a preflight. GET runs queries only (strawberry refuses mutations).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.responses import Response
from starlette.types import Scope
from strawberry.schema import BaseSchema
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

PREFLIGHT_HEADERS = (b"graphql-require-preflight", b"apollo-require-preflight")

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


def refuse_unsafe_request(scope: Scope) -> None:
    """Raise HTTPException for a POST a foreign page could send without a CORS preflight."""
    if scope.get("method") != "POST":
        return
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if content_type == b"multipart/form-data":
        if not any(headers.get(name, b"").strip() for name in PREFLIGHT_HEADERS):
            raise HTTPException(
                400,
                "A multipart request must carry a non-empty GraphQL-Require-Preflight header "
                "(protection against cross-site request forgery).",
            )
    elif content_type != b"application/json":
        raise HTTPException(415, "Send GraphQL requests as application/json (multipart for uploads).")


def transport_error_response(error: HTTPException) -> Response:
    code = _CODES.get(error.status_code, "BAD_REQUEST")
    body = {"data": None, "errors": [{"message": error.reason, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=error.status_code, media_type="application/json")


# ---------------------------------------------------------------- graphql-transport-ws: resolver-sent results
#
# strawberry runs every message of a subscription through graphql-core (the selection set executed
# again), its result hooks and the extensions' results, once per subscriber per message: for a
# notification fanned out to thousands of connections that was most of the cost. A subscription
# resolver that can produce its result data itself (plain fields, no nested resolvers) may send the
# `next` message directly through `running_operation()`; the message is the one strawberry would
# send: same id, data, and the same `extensions` (asked of the operation's own extension runner).


@dataclass
class RunningOperation:
    """The graphql-transport-ws operation whose task is running, and its extensions' results."""

    operation: Operation[Any, Any]
    extension_results: Callable[[], Awaitable[dict[str, Any]]] | None = None
    _extensions: dict[str, Any] | None = None

    async def settle_extensions(self) -> dict[str, Any]:
        """The extensions' results for this operation's messages, asked once.

        Once, because they are the same for every message of a subscription (the cost extension charges
        a subscription one point, at its first result, and reports that charge after), and asking
        was half the cost of a message. Asked before the first message, the charge (a Redis round trip
        when processes share the buckets) happens at subscribe time, not inside a fan-out.
        """
        if self._extensions is None:
            self._extensions = await self.extension_results() if self.extension_results else {}
        return self._extensions

    async def send_data(self, data: dict[str, Any]) -> None:
        payload: dict[str, Any] = {"data": data}
        if extensions := await self.settle_extensions():
            payload["extensions"] = extensions
        # Through the operation: nothing is sent once it completed (client `complete`, error).
        await self.operation.send_operation_message(
            {"id": self.operation.id, "type": "next", "payload": payload}  # type: ignore[typeddict-item]
        )


# Set in the operation's task (HubTransportWSHandler.run_operation); its resolvers run in that task.
_running: ContextVar[RunningOperation | None] = ContextVar("graphql_ws_operation", default=None)


def running_operation() -> RunningOperation | None:
    """The graphql-transport-ws operation the calling resolver belongs to; None over HTTP."""
    return _running.get()


class HubTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    def __init__(self, *, schema: BaseSchema, **options: Any) -> None:
        super().__init__(schema=_ExtensionsVisibleSchema(schema), **options)  # type: ignore[arg-type]

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        _running.set(RunningOperation(operation))
        await super().run_operation(operation)


class _ExtensionsVisibleSchema:
    """The schema, whose `stream` (strawberry's, step by step) also hands the running operation a way
    to ask the extension runner for a result's `extensions`, as strawberry does for each result."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Any = None,
    ) -> Any:
        schema: Any = self._schema
        execution_context = schema._create_execution_context(
            query=query,
            allowed_operation_types=allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        extensions = schema.get_extensions()
        for extension in extensions:
            extension.execution_context = execution_context
        runner = schema.create_extensions_runner(execution_context, extensions)
        running = _running.get()
        if running is not None:
            running.extension_results = partial(runner.get_extensions_results, execution_context)
        return schema._stream(
            execution_context,
            extensions_runner=runner,
            middleware_manager=schema._get_middleware_manager(extensions),
            execution_context_class=schema.execution_context_class,
            operation_extensions=operation_extensions,
        )
