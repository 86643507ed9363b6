"""create_app(settings): routes, middleware, lifespan. Wiring only."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from graphql_schema.http_cache import CatalogHttpCache
from graphql_schema.schema import build_schema
from graphql_schema.view import HubGraphQL
from server.apps.http import authorize_page, consent_asset, token_endpoint
from server.apps.service import grant_cache
from server.apps.webhooks import webhook_worker
from server.config import Settings
from server.db import SqlStatementCounter
from server.developers import developer_routes
from server.feedback.sweep import feedback_sweeper
from server.http import BearerAuthMiddleware, RequestLogMiddleware
from server.hub import Hub
from server.media.http import media_endpoint
from server.notify.runtime import notify_runtime
from server.open311.views import open311_routes
from server.pwa import pwa_routes
from server.records.http import lgsp_endpoint
from server.records.sweep import records_sweeper


def create_app(settings: Settings, hub: Hub | None = None) -> Starlette:
    """The ASGI app. Without a `hub`, one is built at startup and closed at shutdown."""
    state: dict[str, Hub] = {}

    def current_hub() -> Hub:
        return state["hub"]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        owned = hub is None
        state["hub"] = hub or Hub.build(settings)
        try:
            async with (
                feedback_sweeper(state["hub"]),
                records_sweeper(state["hub"]),
                notify_runtime(state["hub"]),
                webhook_worker(state["hub"]),
            ):
                # What startup built lives as long as the process: keep it out of the collector's scans,
                # and collect young objects less often. Full scans of that heap dominated the CPU of a live
                # fan-out to thousands of WebSocket subscribers (bench/subscribers.py).
                gc.collect()
                gc.freeze()
                gc.set_threshold(50_000, 20, 10)
                yield
        finally:
            if owned:
                await state["hub"].close()

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            if settings.is_sqlite:
                await _probe_sqlite(settings.database_url)
            else:
                async with current_hub().engine.connect() as conn:
                    await conn.execute(READY_QUERY)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means "not ready"; the reason goes to the operator
            checks["database"] = f"error: {type(exc).__name__}"
        if current_hub().redis is not None:
            try:
                await current_hub().redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"error: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
        return JSONResponse(body, 200 if ready else 503)

    async def jwks(_request: Request) -> Response:
        return JSONResponse(current_hub().keys.jwks(), headers={"cache-control": "public, max-age=300"})

    graphql = HubGraphQL(
        build_schema(development=settings.is_development),
        current_hub,
        multipart_uploads_enabled=True,
        subscription_protocols=("graphql-transport-ws",),
        allowed_origins=settings.allowed_origins,
        max_subscriptions_per_connection=20,
    )

    class GraphQLEndpoint:
        """Auth in front of the GraphQL view; the token verifier is the running hub's."""

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
            hub = current_hub()
            await BearerAuthMiddleware(graphql, hub.tokens, grant_cache(hub))(scope, receive, send)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        # GET queries of catalogue data get ETag/Cache-Control and 304 (graphql_schema/http_cache.py).
        Route("/graphql", CatalogHttpCache(GraphQLEndpoint()), methods=["GET", "POST"]),
        Route("/integrations/lgsp/dossier-events", lgsp_endpoint(current_hub), methods=["POST"]),
        WebSocketRoute("/graphql", GraphQLEndpoint()),
        Route("/media/{name:path}", media_endpoint(current_hub), methods=["GET", "HEAD"]),
        # Third-party apps: OAuth 2.0 token endpoint and the consent screen (server/apps/).
        Route("/oauth/token", token_endpoint(current_hub), methods=["POST"]),
        Route("/oauth/authorize", authorize_page, methods=["GET"]),
        Route("/oauth/static/{name}", consent_asset, methods=["GET"]),
    ]
    # /developers, its CSS and the live SDL at /graphql/schema.graphql (server/developers.py).
    routes += developer_routes(settings, graphql.schema.as_str)
    # Open311 GeoReport v2 over the feedback service layer (server/open311/).
    routes += open311_routes(current_hub)
    # The residents' PWA at / (server/pwa.py); last, because its SPA fallback catches any other GET.
    routes += pwa_routes(reload=settings.is_development)
    app = Starlette(routes=routes, lifespan=lifespan)
    # JSON answers compressed for phones on slow networks; the PWA's files come pre-compressed and pass
    # through; streamed multipart answers are left alone so that they are not held back.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=6,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "multipart/mixed"),
    )
    app.add_middleware(RequestLogMiddleware, log_requests=settings.log_requests)
    if settings.sql_statement_count_header:
        app.add_middleware(SqlStatementCounter)
    return app


# A real read (SELECT 1 touches no page on SQLite), which also proves the schema is migrated.
READY_QUERY = text("SELECT version_num FROM alembic_version")


async def _probe_sqlite(url: str) -> None:
    """The ready query through a new connection: a pooled one (background work keeps some open) still
    answers from a database file that was moved or deleted meanwhile; a restarted process would not."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    path = url.split("///", 1)[1]
    # mode=rw: a missing file is an error, not a new empty database.
    engine = create_async_engine(f"sqlite+aiosqlite:///file:{path}?mode=rw&uri=true", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(READY_QUERY)
    finally:
        await engine.dispose()


def app_from_env() -> Starlette:
    """uvicorn's factory for `citizen-hub serve`: each worker process reads the settings itself."""
    from server.http import configure_logging

    configure_logging()
    return create_app(Settings.from_env())
