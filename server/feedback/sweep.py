"""Background work of serve's lifespan: close feedback that stayed RESOLVED for the waiting time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from server.feedback.public_cache import public_feedback_changed
from server.feedback.service import close_expired
from server.hub import Hub

log = logging.getLogger("citizen_hub.feedback")
INTERVAL_SECONDS = 300


async def _loop(hub: Hub) -> None:
    while True:
        try:
            async with hub.session_factory() as session:
                closed = await close_expired(session)
            if closed:
                await public_feedback_changed(hub)
                log.info("closed %d feedback resolved more than 7 days ago", closed)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed sweep is retried at the next interval; reads apply the rule anyway
            log.exception("feedback sweep failed")
        await asyncio.sleep(INTERVAL_SECONDS)


@contextlib.asynccontextmanager
async def feedback_sweeper(hub: Hub) -> AsyncIterator[None]:
    task = asyncio.create_task(_loop(hub), name="feedback-sweeper")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
