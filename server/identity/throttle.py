"""Login throttling: after N failures for one phone within the window, the phone is locked for a window.

Counted in the database, or in Redis when REDIS_URL is set, so that every server process agrees.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.identity.models import LoginFailure


def locked_until(failures: list[datetime], max_failures: int, window: timedelta) -> datetime | None:
    """When the lock caused by `failures` (sorted, oldest first) ends: `window` after the failure
    that made `max_failures` within one window."""
    until: datetime | None = None
    for i in range(max_failures - 1, len(failures)):
        if failures[i] - failures[i - max_failures + 1] <= window:
            end = failures[i] + window
            until = end if until is None or end > until else until
    return until


class LoginThrottle(Protocol):
    async def locked_until(self, session: AsyncSession, phone: str, now: datetime) -> datetime | None: ...
    async def record_failure(self, session: AsyncSession, phone: str, now: datetime) -> None: ...
    async def clear(self, session: AsyncSession, phone: str) -> None: ...


class DatabaseLoginThrottle:
    def __init__(self, max_failures: int, window: timedelta) -> None:
        self.max_failures = max_failures
        self.window = window

    async def locked_until(self, session: AsyncSession, phone: str, now: datetime) -> datetime | None:
        rows = await session.scalars(
            select(LoginFailure.failed_at)
            .where(LoginFailure.phone == phone, LoginFailure.failed_at > now - 2 * self.window)
            .order_by(LoginFailure.failed_at)
        )
        until = locked_until(list(rows), self.max_failures, self.window)
        return until if until is not None and until > now else None

    async def record_failure(self, session: AsyncSession, phone: str, now: datetime) -> None:
        session.add(LoginFailure(phone=phone, failed_at=now))
        # Old rows are of no use to any window; drop them as we go.
        await session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - 2 * self.window))

    async def clear(self, session: AsyncSession, phone: str) -> None:
        await session.execute(delete(LoginFailure).where(LoginFailure.phone == phone))


class RedisLoginThrottle:
    """The same rule over a sorted set per phone, shared by every process using this Redis."""

    def __init__(
        self, redis: object, max_failures: int, window: timedelta, prefix: str = "citizen-hub"
    ) -> None:
        self.redis = redis
        self.max_failures = max_failures
        self.window = window
        self.prefix = prefix

    def _key(self, phone: str) -> str:
        return f"{self.prefix}:login-failures:{phone}"

    async def locked_until(self, session: AsyncSession, phone: str, now: datetime) -> datetime | None:
        since = (now - 2 * self.window).timestamp()
        scores = await self.redis.zrangebyscore(self._key(phone), since, "+inf", withscores=True)  # type: ignore[attr-defined]
        failures = [datetime.fromtimestamp(score, tz=now.tzinfo) for _member, score in scores]
        until = locked_until(failures, self.max_failures, self.window)
        return until if until is not None and until > now else None

    async def record_failure(self, session: AsyncSession, phone: str, now: datetime) -> None:
        key = self._key(phone)
        stamp = now.timestamp()
        pipe = self.redis.pipeline()  # type: ignore[attr-defined]
        pipe.zadd(key, {f"{stamp:.6f}": stamp})
        pipe.zremrangebyscore(key, "-inf", (now - 2 * self.window).timestamp())
        pipe.expire(key, int(2 * self.window.total_seconds()) + 60)
        await pipe.execute()

    async def clear(self, session: AsyncSession, phone: str) -> None:
        await self.redis.delete(self._key(phone))  # type: ignore[attr-defined]
