"""A local OpenID Connect issuer for tests: its own keys, its JWKS on a loopback port, ID tokens on demand."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

CLIENT_ID = "citizen-hub-test-client"


class LocalIssuer:
    """Serves GET /jwks.json; counts the requests so tests can see the hub's cache at work."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, Any]] = {}  # kid -> (algorithm, private key)
        self.published: list[str] = []
        self.jwks_requests = 0
        self.add_key("RS256")
        self.add_key("ES256")
        self.add_key("EdDSA")
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/jwks.json":
                    self.send_error(404)
                    return
                issuer.jwks_requests += 1
                body = json.dumps(issuer.jwks()).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def hub_env(self) -> dict[str, str]:
        return {
            "NATIONAL_IDENTITY_ISSUER": self.url,
            "NATIONAL_IDENTITY_JWKS_URL": self.url + "/jwks.json",
            "NATIONAL_IDENTITY_CLIENT_ID": CLIENT_ID,
        }

    def add_key(self, algorithm: str, *, publish: bool = True) -> str:
        kid = f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}"
        if algorithm == "RS256":
            key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = ed25519.Ed25519PrivateKey.generate()
        self.keys[kid] = (algorithm, key)
        if publish:
            self.published.append(kid)
        return kid

    def publish(self, kid: str) -> None:
        self.published.append(kid)

    def kid(self, algorithm: str) -> str:
        return next(k for k in self.published if self.keys[k][0] == algorithm)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in self.published:
            algorithm, private = self.keys[kid]
            jwk = json.loads(_public_json(private))
            jwk.update({"kid": kid, "use": "sig", "alg": algorithm})
            keys.append(jwk)
        return {"keys": keys}

    def id_token(
        self,
        *,
        nonce: str,
        national_id: str | None,
        phone: str | None = None,
        name: str = "Nguyễn Văn An",
        algorithm: str = "RS256",
        kid: str | None = None,
        sub: str | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": sub or f"vneid-{uuid.uuid4().hex[:12]}",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": name,
        }
        if national_id is not None:
            claims["national_id"] = national_id
        if phone is not None:
            claims["phone_number"] = phone
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        kid = kid or self.kid(algorithm)
        return jwt.encode(claims, self.keys[kid][1], algorithm=algorithm, headers={"kid": kid})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _public_json(private: Any) -> str:
    from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

    public = private.public_key()
    if isinstance(private, rsa.RSAPrivateKey):
        return RSAAlgorithm.to_jwk(public)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return ECAlgorithm.to_jwk(public)
    return OKPAlgorithm.to_jwk(public)
