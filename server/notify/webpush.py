"""Web Push (RFC 8030/8291/8292): VAPID keys and the sender of one message.

Keys: VAPID_PRIVATE_KEY (PEM, or the raw key in base64url) when given, else
DATA_DIR/keys/vapid-private.pem, made on first start.
Messages are encrypted with aes128gcm, carry a TTL, and use urgency "high" for urgent events (EMERGENCY).
What to do with the answer (delete, retry later, give up) is the push worker's business
(server/notify/push_worker.py), which keeps what is owed in the `push_deliveries` table.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

log = logging.getLogger("citizen_hub.push")

SEND_TIMEOUT = 10
MAX_DELAY = 3600.0  # the longest wait between two attempts, whatever Retry-After says


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
    delivery_id: int
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    title: str
    link: str
    urgent: bool
    attempts: int = 0


@dataclass(frozen=True)
class PushOutcome:
    """What the push service said: delivered, gone (404/410), or retry (429, 5xx, network) or refused."""

    status: int | None
    retry_after: float | None = None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is not None and self.status < 300

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


class PushSender:
    """Sends one push message (pywebpush, in a worker thread) and reports what the push service said."""

    def __init__(self, vapid: Vapid02, subject: str, *, ttl_seconds: int = 24 * 3600) -> None:
        self.vapid = vapid
        self.subject = subject
        self.ttl = ttl_seconds

    async def send(self, job: PushJob) -> PushOutcome:
        from pywebpush import WebPushException, webpush

        body = orjson.dumps({"title": job.title, "link": job.link}).decode()
        claims = {"sub": self.subject}
        headers = {"Urgency": "high" if job.urgent else "normal"}
        info = {"endpoint": job.endpoint, "keys": {"p256dh": job.p256dh, "auth": job.auth}}
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
                timeout=SEND_TIMEOUT,
            )
            return PushOutcome(getattr(response, "status_code", 201))
        except WebPushException as error:
            if error.response is None:
                return PushOutcome(None, error="no response")
            status = error.response.status_code
            retry_after = retry_after_seconds(error.response.headers.get("retry-after"))
            return PushOutcome(status, retry_after, f"HTTP {status}")
        except Exception as error:  # network trouble: like a 5xx
            log.warning("push to %s failed: %s", host(job.endpoint), type(error).__name__)
            return PushOutcome(None, error=type(error).__name__)


def host(endpoint: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(endpoint).netloc
