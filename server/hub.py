"""The hub's long-lived parts, built once from Settings and shared by the app, the CLI and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.config import Settings
from server.db import create_engine, create_session_factory
from server.identity.keys import KeyStore
from server.identity.service import IdentityDeps
from server.identity.throttle import DatabaseLoginThrottle, LoginThrottle, RedisLoginThrottle
from server.identity.tokens import TokenIssuer


@dataclass
class Hub:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    keys: KeyStore
    tokens: TokenIssuer
    identity: IdentityDeps
    redis: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Hub:
        """Wire the parts; reads the signing keys (creating them on first start). Opens no connection."""
        engine = create_engine(settings)
        lifetime = timedelta(seconds=settings.access_token_seconds)
        keys = KeyStore(settings.keys_dir, token_lifetime=lifetime, env_pem=settings.jwt_signing_key_pem)
        keys.load(create=True)
        tokens = TokenIssuer(keys, settings.jwt_issuer, settings.jwt_audience, lifetime)
        redis = None
        window = timedelta(seconds=settings.login_window_seconds)
        throttle: LoginThrottle
        if settings.redis_url:
            import redis.asyncio as aioredis

            # A blocking pool: a burst (thousands of live subscribers answered at once, each charged to the
            # rate limiter) waits for a free connection instead of failing with "Too many connections".
            pool = aioredis.BlockingConnectionPool.from_url(
                settings.redis_url, decode_responses=True, max_connections=100, timeout=10
            )
            redis = aioredis.Redis.from_pool(pool)
            throttle = RedisLoginThrottle(redis, settings.login_max_failures, window, settings.redis_prefix)
        else:
            throttle = DatabaseLoginThrottle(settings.login_max_failures, window)
        identity = IdentityDeps(tokens, throttle, timedelta(days=settings.refresh_token_days))
        return cls(settings, engine, create_session_factory(engine), keys, tokens, identity, redis)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
