"""The hub's token signing keys: ES256 (P-256), kept under DATA_DIR/keys or given by the environment.

Rotation adds a key and makes it the signer; the previous key keeps verifying until the last token
it signed has expired, then it is pruned. Every process re-reads the manifest when it changes, so a
rotation done from the command line reaches running servers without a restart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from server.db import utcnow

ALGORITHM = "ES256"
MANIFEST = "keys.json"


class KeyMaterialError(Exception):
    """The key material cannot be used."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    created_at: datetime
    retired_at: datetime | None

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        jwk = ECAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 JWK thumbprint: a kid that names the key itself."""
    jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _load_pem(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise KeyMaterialError("the signing key must be an EC P-256 private key in PEM")
    return key


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


class KeyStore:
    """Signing and verification keys; `token_lifetime` says how long a retired key must still verify."""

    def __init__(self, keys_dir: Path, token_lifetime: timedelta, env_pem: str | None = None) -> None:
        self.keys_dir = keys_dir
        self.token_lifetime = token_lifetime
        self.env_pem = env_pem
        self._keys: list[SigningKey] = []
        self._mtime: float | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- reading

    def load(self, *, create: bool = True) -> None:
        """Read the keys; on first start (no manifest) generate one."""
        with self._lock:
            if self.env_pem:
                key = _load_pem(self.env_pem.encode())
                self._keys = [SigningKey(thumbprint(key.public_key()), key, utcnow(), None)]
                return
            manifest = self.keys_dir / MANIFEST
            if not manifest.exists():
                if not create:
                    raise KeyMaterialError(f"no signing keys in {self.keys_dir}")
                self._add_key_locked()
            self._read_locked()

    def _read_locked(self) -> None:
        manifest = self.keys_dir / MANIFEST
        stat = manifest.stat()
        entries = json.loads(manifest.read_text("utf-8"))["keys"]
        keys = []
        for entry in entries:
            private = _load_pem((self.keys_dir / entry["file"]).read_bytes())
            retired = datetime.fromisoformat(entry["retiredAt"]) if entry.get("retiredAt") else None
            keys.append(
                SigningKey(entry["kid"], private, datetime.fromisoformat(entry["createdAt"]), retired)
            )
        self._keys = keys
        self._mtime = stat.st_mtime_ns

    def _refresh(self) -> None:
        """Pick up a rotation made by another process (checked at most once a second)."""
        if self.env_pem:
            return
        now = time.monotonic()
        if now - self._checked_at < 1.0:
            return
        self._checked_at = now
        try:
            mtime = (self.keys_dir / MANIFEST).stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime != self._mtime:
            with self._lock:
                self._read_locked()

    # ---------------------------------------------------------------- changing

    def _write_manifest_locked(self, keys: list[SigningKey]) -> None:
        entries = [
            {
                "kid": k.kid,
                "file": f"{k.kid}.pem",
                "createdAt": k.created_at.isoformat(),
                "retiredAt": k.retired_at.isoformat() if k.retired_at else None,
            }
            for k in keys
        ]
        _write_private(self.keys_dir / MANIFEST, json.dumps({"keys": entries}, indent=2).encode())

    def _add_key_locked(self) -> SigningKey:
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.keys_dir, 0o700)
        now = utcnow()
        private = ec.generate_private_key(ec.SECP256R1())
        new = SigningKey(thumbprint(private.public_key()), private, now, None)
        _write_private(self.keys_dir / f"{new.kid}.pem", _pem(private))
        kept = [
            SigningKey(k.kid, k.private_key, k.created_at, k.retired_at or now)
            for k in self._keys
            if k.retired_at is None or k.retired_at + self.token_lifetime > now
        ]
        for gone in {k.kid for k in self._keys} - {k.kid for k in kept}:
            (self.keys_dir / f"{gone}.pem").unlink(missing_ok=True)
        self._write_manifest_locked([*kept, new])
        return new

    def rotate(self) -> SigningKey:
        """Add a key and sign with it from now on; older keys verify until their last token expires."""
        if self.env_pem:
            raise KeyMaterialError("the signing key is given by JWT_SIGNING_KEY; rotate it there")
        with self._lock:
            if (self.keys_dir / MANIFEST).exists():
                self._read_locked()
            new = self._add_key_locked()
            self._read_locked()
            return new

    # ---------------------------------------------------------------- using

    def signing_key(self) -> SigningKey:
        self._refresh()
        active = [k for k in self._keys if k.retired_at is None]
        if not active:
            raise KeyMaterialError("no active signing key")
        return active[-1]

    def verification_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        self._refresh()
        now = utcnow()
        for key in self._keys:
            if key.kid == kid and (key.retired_at is None or key.retired_at + self.token_lifetime > now):
                return key.public_key
        return None

    def jwks(self) -> dict[str, Any]:
        self._refresh()
        now = utcnow()
        return {
            "keys": [
                k.public_jwk()
                for k in self._keys
                if k.retired_at is None or k.retired_at + self.token_lifetime > now
            ]
        }
