"""Per-request context: the hub's parts, the acting principal, a lazy DB session and DataLoaders.

A WebSocket connection lives long, so the session and the loaders belong to one operation:
`SessionPerOperation` gives each operation its own (a context variable, so the operations of one
connection never share a session) and closes them when the operation ends, and after each result a
subscription streams: a subscription holds no session while it waits for its next message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from server.hub import Hub
from server.i18n import Lang
from server.identity.principal import Principal


@dataclass
class OperationScope:
    """The session and loaders of one running operation."""

    session: AsyncSession | None = None
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    async def close(self) -> None:
        self.loaders.clear()
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()


# Set by SessionPerOperation in the operation's task; DataLoader tasks inherit it.
_operation: ContextVar[OperationScope | None] = ContextVar("graphql_operation", default=None)


@dataclass
class Context:
    hub: Hub
    request: Request | WebSocket
    response: Response | None
    principal: Principal
    language: Lang
    # WebSocket only: connection_init's payload, and when the connection's access token expires.
    connection_params: dict[str, Any] | None = None
    token_expires_at: float | None = None
    _own: OperationScope = field(default_factory=OperationScope)

    @property
    def _scope(self) -> OperationScope:
        return _operation.get() or self._own

    @property
    def session(self) -> AsyncSession:
        scope = self._scope
        if scope.session is None:
            scope.session = self.hub.session_factory()
        return scope.session

    def loader(
        self, name: str, load: Callable[[Sequence[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        """The operation's DataLoader called `name`, made on first use."""
        loaders = self._scope.loaders
        existing = loaders.get(name)
        if existing is None:
            existing = loaders[name] = DataLoader(load_fn=load)  # type: ignore[arg-type]
        return existing

    async def close(self) -> None:
        """Close the current operation's session and drop its loaders."""
        await self._scope.close()


Info = StrawberryInfo[Context, None]


class SessionPerOperation(SchemaExtension):
    async def on_operation(self):  # type: ignore[override]
        scope = OperationScope()
        token = _operation.set(scope)
        try:
            yield
        finally:  # also when an extension stops the operation (timeout, refused persisted query)
            await scope.close()
            context = self.execution_context.context
            if isinstance(context, Context):
                await context._own.close()
            try:
                _operation.reset(token)
            except ValueError:  # finalised in another context: nothing to restore there
                pass

    async def on_stream_result(self, result: Any):  # type: ignore[override]
        # A subscription's message is resolved: release the session before waiting for the next one.
        scope = _operation.get()
        if scope is not None:
            await scope.close()
        yield
