"""Rate limit by query cost: one token bucket per principal, in Redis when configured, in memory otherwise.

A bucket holds at most `size` points and refills at `rate` points a second. An operation that costs
more than what is left is refused (HTTP 429) and takes nothing. With Redis the check-and-take is one
Lua script, so every hub process sharing the Redis shares the buckets.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from server.identity.principal import Principal


def bucket_key(principal: Principal) -> str:
    """Whose bucket an operation draws from: an app's own, a signed-in account's, else the client IP's.

    An app acting for a resident gets a bucket per (app, resident): the app's traffic never drains the
    resident's own bucket (the PWA), nor one resident's use the app's other users.
    """
    if principal.app_id is not None:
        if principal.account_id is not None:
            return f"app:{principal.app_id}:account:{principal.account_id}"
        return f"app:{principal.app_id}"
    if principal.account_id is not None:
        return f"account:{principal.account_id}"
    return f"ip:{principal.client_ip or 'unknown'}"


@dataclass(frozen=True)
class BucketState:
    allowed: bool
    available: float  # points left after this operation
    size: int
    rate: float

    def seconds_until(self, cost: int) -> int:
        """Whole seconds until `cost` points are available (for Retry-After)."""
        missing = cost - self.available
        return max(1, math.ceil(missing / self.rate)) if missing > 0 else 0


class Buckets(Protocol):
    size: int
    rate: float

    async def take(self, key: str, cost: int) -> BucketState: ...


class MemoryBuckets:
    """Buckets of one process; the least recently used are forgotten beyond `max_keys` (they were full)."""

    def __init__(self, size: int, rate: float, max_keys: int = 100_000) -> None:
        self.size, self.rate, self.max_keys = size, rate, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, key: str, cost: int) -> BucketState:
        now = time.monotonic()
        tokens, stamp = self._buckets.pop(key, (float(self.size), now))
        tokens = min(float(self.size), tokens + (now - stamp) * self.rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return BucketState(allowed, tokens, self.size, self.rate)


# KEYS[1] bucket; ARGV: size, rate (points/s), cost. Redis' own clock, so hub processes need not agree.
_TAKE = """
local size = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or size
local ts = tonumber(state[2]) or now
tokens = math.min(size, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((size - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    def __init__(self, redis: Any, size: int, rate: float, prefix: str) -> None:
        self.size, self.rate, self.prefix = size, rate, prefix
        self._script = redis.register_script(_TAKE)

    async def take(self, key: str, cost: int) -> BucketState:
        allowed, tokens = await self._script(keys=[self.prefix + key], args=[self.size, self.rate, cost])
        return BucketState(bool(int(allowed)), float(tokens), self.size, self.rate)


def build_buckets(settings: Any, redis: Any) -> Buckets:
    size, rate = settings.rate_limit_bucket_size, settings.rate_limit_restore_rate
    if redis is not None:
        return RedisBuckets(redis, size, rate, settings.redis_key_prefix + "rl:")
    return MemoryBuckets(size, rate)
