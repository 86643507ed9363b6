"""Background work of serve's lifespan: tell owners of dossiers that passed their due time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from server.hub import Hub
from server.records.service import sweep_overdue

log = logging.getLogger("citizen_hub.records")


async def _loop(hub: Hub) -> None:
    while True:
        try:
            async with hub.session_factory() as session:
                told = await sweep_overdue(session)
            if told:
                log.info("told the owners of %d dossiers past their due time", told)
        except asyncio.CancelledError:
            raise
        except Exception:  # retried at the next interval; isOverdue is computed on read anyway
            log.exception("dossier overdue sweep failed")
        await asyncio.sleep(hub.settings.records_sweep_seconds)


@contextlib.asynccontextmanager
async def records_sweeper(hub: Hub) -> AsyncIterator[None]:
    task = asyncio.create_task(_loop(hub), name="records-sweeper")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
