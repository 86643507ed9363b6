"""Exponential backoff, shared by the hub's outgoing deliveries (app webhooks, Web Push)."""

from __future__ import annotations

import random


def backoff_seconds(
    attempts: int, base: float, cap: float, *, jitter: float = 0.0, at_least: float | None = None
) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base × 2^(attempts − 1), stretched by up to
    `jitter` (a fraction, drawn at random, so many retries do not arrive together), at most `cap`; never
    sooner than `at_least` (what the other side's Retry-After asked), itself at most `cap`."""
    delay = min(base * (2 ** max(attempts - 1, 0)) * (1 + random.random() * jitter), cap)
    if at_least is not None:
        delay = max(delay, min(at_least, cap))
    return delay
