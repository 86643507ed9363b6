"""Web Push (RFC 8030/8291/8292): VAPID keys and a sender that works off the request path.

Keys: VAPID_PRIVATE_KEY (PEM, or the raw key in base64url) when given, else
DATA_DIR/keys/vapid-private.pem, made on first start.
Messages are encrypted with aes128gcm, carry a TTL, and use urgency "high" for urgent events (EMERGENCY).
A subscription answered 404 or 410 is gone and is deleted; 429 and 5xx are retried with backoff.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

log = logging.getLogger("citizen_hub.push")

MAX_ATTEMPTS = 5


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_vapid(keys_dir: Path, env_pem: str | None = None) -> Vapid02:
    """The VAPID key pair: from the environment, or from DATA_DIR (created on first start)."""
    if env_pem:
        if env_pem.lstrip().startswith("-----BEGIN"):
            return Vapid02.from_pem(env_pem.encode())
        # The raw 32-byte private key, base64url, as web-push tools print it.
        return Vapid02.from_raw(env_pem.strip().encode())
    path = keys_dir / "vapid-private.pem"
    if path.exists():
        return Vapid02.from_pem(path.read_bytes())
    keys_dir.mkdir(parents=True, exist_ok=True)
    vapid = Vapid02()
    vapid.generate_keys()
    # Written under a temporary name then renamed: two processes starting together agree on one key.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(vapid.private_pem())
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return Vapid02.from_pem(path.read_bytes())


def public_key_b64url(vapid: Vapid02) -> str:
    """The application server key the browser's pushManager.subscribe() needs."""
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(raw)


@dataclass(frozen=True)
class PushJob:
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    title: str
    link: str
    urgent: bool
    attempt: int = 0


class PushSender:
    """A queue and a few workers that send push messages, retrying what the push service asks to retry."""

    def __init__(
        self,
        vapid: Vapid02,
        subject: str,
        on_gone: Callable[[int], Awaitable[None]],
        *,
        ttl_seconds: int = 24 * 3600,
        workers: int = 4,
        backoff_seconds: float = 1.0,
    ) -> None:
        self.vapid = vapid
        self.subject = subject
        self.on_gone = on_gone
        self.ttl = ttl_seconds
        self.backoff = backoff_seconds
        self.queue: asyncio.Queue[PushJob] = asyncio.Queue()
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []
        self._retries: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(), name=f"push-{i}") for i in range(self._workers)]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._retries]:
            task.cancel()
        for task in [*self._tasks, *self._retries]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def submit(self, job: PushJob) -> None:
        self.queue.put_nowait(job)

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                await self._send(job)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("push delivery failed")

    async def _send(self, job: PushJob) -> None:
        from pywebpush import WebPushException, webpush

        body = orjson.dumps({"title": job.title, "link": job.link}).decode()
        claims = {"sub": self.subject}
        headers = {"Urgency": "high" if job.urgent else "normal"}
        info = {"endpoint": job.endpoint, "keys": {"p256dh": job.p256dh, "auth": job.auth}}
        status: int | None
        retry_after: str | None = None
        try:
            # pywebpush is synchronous (requests): a thread keeps the event loop free.
            response = await asyncio.to_thread(
                webpush,
                info,
                body,
                vapid_private_key=self.vapid,
                vapid_claims=claims,
                content_encoding="aes128gcm",
                ttl=self.ttl,
                headers=headers,
                timeout=10,
            )
            status = getattr(response, "status_code", 201)
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            retry_after = error.response.headers.get("retry-after") if error.response is not None else None
        except Exception as error:  # network trouble: like a 5xx
            log.warning("push to %s failed: %s", _host(job.endpoint), type(error).__name__)
            status = None
        if status is not None and status < 300:
            return
        if status in (404, 410):
            log.info("push subscription %s is gone (%s); deleting it", job.subscription_id, status)
            await self.on_gone(job.subscription_id)
            return
        if (status is None or status == 429 or status >= 500) and job.attempt + 1 < MAX_ATTEMPTS:
            delay = self.backoff * (2**job.attempt) * (1 + random.random() / 4)
            if retry_after and retry_after.isdigit():
                delay = max(delay, min(float(retry_after), 3600))
            self._schedule(PushJob(**{**job.__dict__, "attempt": job.attempt + 1}), delay)
            return
        log.warning("push to %s refused with %s; giving up", _host(job.endpoint), status)

    def _schedule(self, job: PushJob, delay: float) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            self.submit(job)

        task = asyncio.create_task(later())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)


def _host(endpoint: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(endpoint).netloc
