"""Where the hub may send a person's browser or its own requests: https, or plain http to a loopback host.

One rule for app redirect URIs, app webhooks and Web Push endpoints: plain http is for a developer's own
machine (RFC 8252 §7.3) and for the local receivers the tests run, never for a host on a network.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def https_or_loopback(url: str, *, max_length: int = 2000) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or len(url) > max_length:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
