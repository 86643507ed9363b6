"""National identity login: an OpenID Connect ID token from the national identity issuer signs a person in.

Settings: NATIONAL_IDENTITY_ISSUER (the `iss` expected), NATIONAL_IDENTITY_JWKS_URL (its public keys; default
`<issuer>/.well-known/jwks.json`) and NATIONAL_IDENTITY_CLIENT_ID (the hub's client id: the `aud` expected).

The ID token must be signed with an asymmetric algorithm (RS256, ES256 or EdDSA; never HS*, never "none") by a
key of the issuer's JWKS, carry `iss`, `aud`, `sub`, `exp`, `iat` and the `nonce` the client sent, and name:
- `national_id` (or `cccd`, as Vietnamese issuers call it): the 12-digit personal identification number;
- `phone_number`: the person's mobile number (needed only to create a new account);
- `name`: the full name (used when the account is created).
The account is found by verified national ID, else by phone number, else created; its national ID is then
marked verified, so its dossiers show.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.db import utcnow
from server.errors import ErrorCode, UserInputError
from server.identity.models import Account
from server.identity.phone import InvalidPhone, normalise_phone
from server.identity.service import NATIONAL_ID_RE, AuthResult, IdentityDeps, _issue

ALLOWED_ALGORITHMS = ("RS256", "ES256", "EdDSA")
# How long fetched keys are trusted, and how often an unknown kid may trigger a fetch (a flood of tokens
# with made-up kids must not turn into a flood of requests to the issuer).
KEYS_TTL_SECONDS = 3600.0
REFETCH_MIN_SECONDS = 2.0
CLOCK_SKEW_SECONDS = 60


class InvalidIdToken(Exception):
    """The ID token is not one the configured issuer made for this hub, now, for this sign-in."""


@dataclass
class JwksCache:
    """The issuer's public keys by kid: fetched on first use, kept an hour, fetched anew on an unknown kid."""

    url: str
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def key(self, kid: str) -> jwt.PyJWK | None:
        fresh = time.monotonic() - self.fetched_at < KEYS_TTL_SECONDS
        if kid in self.keys and fresh:
            return self.keys[kid]
        async with self._lock:
            age = time.monotonic() - self.fetched_at
            if (kid not in self.keys or age >= KEYS_TTL_SECONDS) and age >= REFETCH_MIN_SECONDS:
                await self._fetch()
        return self.keys.get(kid)

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidIdToken(f"the issuer's keys could not be fetched ({type(exc).__name__})") from exc
        keys: dict[str, jwt.PyJWK] = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use") not in (None, "sig") or entry.get("kty") == "oct":
                continue  # encryption keys and shared secrets never verify a signature here
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue
        self.keys = keys
        self.fetched_at = time.monotonic()


def jwks_cache(settings: Settings, extras: dict[str, Any]) -> JwksCache:
    """The process's cache of the issuer's keys (kept in Hub.extras)."""
    url = settings.national_identity_jwks_url or (
        (settings.national_identity_issuer or "").rstrip("/") + "/.well-known/jwks.json"
    )
    cache = extras.get("national_identity_jwks")
    if not isinstance(cache, JwksCache) or cache.url != url:
        cache = extras["national_identity_jwks"] = JwksCache(url)
    return cache


async def verify_id_token(settings: Settings, cache: JwksCache, token: str, nonce: str) -> dict[str, Any]:
    """The token's claims when it is valid; InvalidIdToken naming the reason otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken("malformed token") from exc
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise InvalidIdToken(f"algorithm {algorithm!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidIdToken("the token names no key")
    key = await cache.key(kid)
    if key is None:
        raise InvalidIdToken("unknown key")
    if key.algorithm_name != algorithm and not (algorithm == "EdDSA" and key.algorithm_name == "Ed25519"):
        raise InvalidIdToken("the key is not for this algorithm")
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=settings.national_identity_client_id,
            issuer=settings.national_identity_issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["iss", "aud", "sub", "exp", "iat", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(str(exc)) from exc
    if not nonce or not hmac.compare_digest(str(claims.get("nonce")).encode(), nonce.encode()):
        raise InvalidIdToken("nonce mismatch")
    return claims


def _claimed_national_id(claims: dict[str, Any]) -> str | None:
    value = claims.get("national_id") or claims.get("cccd")
    return value if isinstance(value, str) and NATIONAL_ID_RE.match(value) else None


async def login_with_national_identity(
    session: AsyncSession,
    deps: IdentityDeps,
    settings: Settings,
    extras: dict[str, Any],
    token: str,
    nonce: str,
    language: str = "VI",
) -> AuthResult:
    """Verify the ID token, then sign in the account it names (linking or creating it)."""
    if not settings.national_identity_issuer or not settings.national_identity_client_id:
        raise UserInputError.one(ErrorCode.FORBIDDEN, "national_login.off", ("input", "idToken"))
    if not token:
        raise UserInputError.one(ErrorCode.REQUIRED, "required", ("input", "idToken"))
    if not nonce:
        raise UserInputError.one(ErrorCode.REQUIRED, "required", ("input", "nonce"))
    try:
        claims = await verify_id_token(settings, jwks_cache(settings, extras), token, nonce)
    except InvalidIdToken as exc:
        field = ("input", "nonce") if str(exc) == "nonce mismatch" else ("input", "idToken")
        raise UserInputError.one(ErrorCode.INVALID_CREDENTIALS, "national_login.invalid", field) from None
    national_id = _claimed_national_id(claims)
    if national_id is None:
        raise UserInputError.one(ErrorCode.INVALID, "national_login.no_national_id", ("input", "idToken"))
    phone: str | None = None
    if isinstance(claims.get("phone_number"), str):
        try:
            phone = normalise_phone(claims["phone_number"])
        except InvalidPhone:
            phone = None
    for attempt in range(2):
        try:
            account = await _link_or_create(session, national_id, phone, claims, language)
            await session.flush()
            result = await _issue(session, deps, account, str(uuid.uuid4()), utcnow())
            await session.commit()
            return result
        except IntegrityError:
            # A concurrent first sign-in of the same person made the account: use it.
            await session.rollback()
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


async def _link_or_create(
    session: AsyncSession, national_id: str, phone: str | None, claims: dict[str, Any], language: str
) -> Account:
    verified = await session.scalar(
        select(Account).where(Account.national_id == national_id, Account.national_id_verified.is_(True))
    )
    if verified is not None:
        return verified
    by_phone = await session.scalar(select(Account).where(Account.phone == phone)) if phone else None
    if by_phone is not None:
        if by_phone.national_id_verified and by_phone.national_id != national_id:
            raise UserInputError.one(
                ErrorCode.CONFLICT, "national_login.phone_conflict", ("input", "idToken")
            )
        by_phone.national_id = national_id
        by_phone.national_id_verified = True
        return by_phone
    if phone is None:
        raise UserInputError.one(ErrorCode.REQUIRED, "national_login.no_phone", ("input", "idToken"))
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    account = Account(
        phone=phone,
        password_hash=None,
        full_name=unicodedata.normalize("NFC", name).strip()[:200] or phone,
        national_id=national_id,
        national_id_verified=True,
        role="CITIZEN",
        language=language,
    )
    session.add(account)
    return account
