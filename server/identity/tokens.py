"""Access tokens (ES256 JWT, RFC 9068 style) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from server.identity.keys import ALGORITHM, KeyStore
from server.identity.principal import Principal, Role

ACCESS_TOKEN_TYPE = "at+jwt"


class InvalidToken(Exception):
    """The access token is malformed, forged, expired or not meant for this hub."""


@dataclass(frozen=True)
class TokenIssuer:
    keys: KeyStore
    issuer: str
    audience: str
    lifetime: timedelta

    def issue(
        self,
        *,
        account_id: int | None,
        role: str | None,
        agency_id: int | None,
        now: datetime,
        scopes: list[str] | None = None,
        app_id: int | None = None,
    ) -> tuple[str, datetime]:
        key = self.keys.signing_key()
        expires = now + self.lifetime
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            # An app acting for nobody (client credentials) is its own subject (RFC 9068 §2.2).
            "sub": str(account_id) if account_id is not None else f"app:{app_id}",
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_urlsafe(12),
        }
        if role is not None:
            claims["role"] = role
        if agency_id is not None:
            claims["agency"] = agency_id
        if scopes is not None:
            claims["scope"] = " ".join(scopes)
        if app_id is not None:
            claims["client_id"] = str(app_id)
        token = jwt.encode(
            claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
        )
        return token, expires.replace(microsecond=0)

    def verify(self, token: str) -> Principal:
        """A Principal for a valid token; InvalidToken for anything else. Trusts only our alg and keys."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("unexpected algorithm")
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("not an access token")
        kid = header.get("kid")
        public_key = self.keys.verification_key(kid) if isinstance(kid, str) else None
        if public_key is None:
            raise InvalidToken("unknown key")
        try:
            claims = jwt.decode(
                token,
                public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["iss", "aud", "sub", "iat", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        scope = claims.get("scope")
        app = claims.get("client_id")
        agency = claims.get("agency")
        try:
            app_id = int(app) if app is not None else None
            if str(claims["sub"]).startswith("app:"):
                if app_id is None or claims["sub"] != f"app:{app_id}":
                    raise ValueError("app subject without its client")
                subject, role = None, None
            else:
                subject, role = int(claims["sub"]), Role(claims.get("role", "CITIZEN"))
        except (ValueError, TypeError) as exc:
            raise InvalidToken("bad claims") from exc
        return Principal(
            account_id=subject,
            role=role,
            agency_id=agency if isinstance(agency, int) else None,
            app_id=app_id,
            scopes=frozenset(scope.split()) if isinstance(scope, str) else None,
        )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
