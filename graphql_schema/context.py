"""Per-request context: the hub's parts, the acting principal, a lazy DB session and DataLoaders.

A WebSocket connection lives long, so the session and the loaders belong to one operation:
`SessionPerOperation` closes and clears them when each operation ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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
class Context:
    hub: Hub
    request: Request | WebSocket
    response: Response | None
    principal: Principal
    language: Lang
    _session: AsyncSession | None = None
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self.hub.session_factory()
        return self._session

    def loader(self, name: str, load: Callable[[Sequence[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        """The request's DataLoader called `name`, made on first use."""
        existing = self._loaders.get(name)
        if existing is None:
            existing = self._loaders[name] = DataLoader(load_fn=load)  # type: ignore[arg-type]
        return existing

    async def close(self) -> None:
        self._loaders.clear()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


Info = StrawberryInfo[Context, None]


class SessionPerOperation(SchemaExtension):
    async def on_operation(self):  # type: ignore[override]
        try:
            yield
        finally:  # also when an extension stops the operation (timeout, refused persisted query)
            context = self.execution_context.context
            if isinstance(context, Context):
                await context.close()
