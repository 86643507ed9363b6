"""The notification machinery of one serve process, started and stopped by the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from py_vapid import Vapid02

from server.hub import Hub
from server.notify.dispatcher import Dispatcher
from server.notify.fanout import Fanout
from server.notify.outbox import register_waker
from server.notify.push_worker import PushWorker
from server.notify.webpush import PushSender, load_vapid, public_key_b64url


@dataclass
class Notifier:
    fanout: Fanout
    dispatcher: Dispatcher
    pusher: PushWorker
    vapid: Vapid02

    @property
    def public_key(self) -> str:
        return public_key_b64url(self.vapid)


def notifier(hub: Hub) -> Notifier:
    """The running process's Notifier (set up by the lifespan)."""
    return hub.extras["notify"]


def vapid_keys(hub: Hub) -> Vapid02:
    """The VAPID keys, loaded (or made) once per process."""
    if "vapid" not in hub.extras:
        settings = hub.settings
        hub.extras["vapid"] = load_vapid(settings.keys_dir, settings.vapid_private_key)
    return hub.extras["vapid"]


def vapid_subject(configured: str | None, base_url: str) -> str:
    """RFC 8292 wants a mailto: or https: contact; a hub on plain http gives a placeholder address."""
    if configured:
        return configured
    return base_url if base_url.startswith("https://") else "mailto:webpush@localhost"


@contextlib.asynccontextmanager
async def notify_runtime(hub: Hub) -> AsyncIterator[Notifier]:
    settings = hub.settings
    fanout = Fanout(hub.redis, settings.redis_prefix)
    vapid = vapid_keys(hub)
    sender = PushSender(
        vapid,
        vapid_subject(settings.vapid_subject, settings.public_base_url),
        ttl_seconds=settings.push_ttl_seconds,
    )
    pusher = PushWorker(
        hub.session_factory,
        sender,
        base_url=settings.public_base_url,
        poll_seconds=settings.dispatch_poll_seconds,
        backoff_seconds=settings.push_backoff_seconds,
        max_attempts=settings.push_max_attempts,
    )
    dispatcher = Dispatcher(
        hub.session_factory,
        fanout,
        pusher,
        base_url=settings.public_base_url,
        poll_seconds=settings.dispatch_poll_seconds,
        delay_seconds=settings.dispatch_delay_seconds,
        lease_seconds=settings.dispatch_lease_seconds,
    )
    fanout.on_wake = dispatcher.wake
    background: set[asyncio.Task[None]] = set()

    def wake() -> None:
        dispatcher.wake()
        if hub.redis is not None and not dispatcher.holds_lease:
            # Another process may hold the lease: tell it through Redis instead of waiting for its poll.
            task = asyncio.get_running_loop().create_task(fanout.wake_dispatchers())
            background.add(task)
            task.add_done_callback(background.discard)

    state = Notifier(fanout, dispatcher, pusher, vapid)
    hub.extras["notify"] = state
    unregister = register_waker(wake)
    await fanout.start()
    pusher.start()
    task = asyncio.create_task(dispatcher.run(), name="notify-dispatcher")
    try:
        yield state
    finally:
        unregister()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await dispatcher.release()
        await pusher.stop()
        await fanout.stop()
        hub.extras.pop("notify", None)
