"""Third-party apps: registration, OAuth 2.0 client credentials and authorization code with PKCE, consents.

Errors of the OAuth endpoints follow RFC 6749 §5.2 (`OAuthError`); errors of the resident's GraphQL
mutations are UserInputErrors like everywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.apps.models import App, AppGrant, AuthorizationCode
from server.db import utcnow
from server.errors import ErrorCode, NotAuthenticated, UserInputError
from server.identity.models import Account, RefreshToken
from server.identity.principal import Principal
from server.identity.service import IdentityDeps
from server.identity.tokens import hash_refresh_token, new_refresh_token
from server.urls import https_or_loopback

# What each scope lets an app do. An app gets at most what it was registered with, and a resident's
# consent may narrow that further.
SCOPES: dict[str, dict[str, str]] = {
    "read:public": {
        "vi": "Đọc thông tin công khai: thủ tục, phản ánh công khai, thông báo",
        "en": "Read public information: procedures, public feedback, announcements",
    },
    "read:profile": {
        "vi": "Xem họ tên, số điện thoại và thông tin tài khoản của bạn",
        "en": "See your name, phone number and account details",
    },
    "read:feedback": {
        "vi": "Xem các phản ánh bạn đã gửi và theo dõi",
        "en": "See the feedback you sent and follow",
    },
    "write:feedback": {
        "vi": "Gửi phản ánh, ủng hộ, theo dõi và đánh giá thay bạn",
        "en": "Send, support, follow and rate feedback for you",
    },
    "read:notifications": {
        "vi": "Xem và đánh dấu thông báo của bạn",
        "en": "See and mark your notifications",
    },
    "read:dossiers": {"vi": "Xem hồ sơ hành chính của bạn", "en": "See your administrative dossiers"},
}
APP_ONLY_SCOPES = {"read:public"}  # a client-credentials token acts for nobody
CODE_LIFETIME = timedelta(minutes=2)


class OAuthError(Exception):
    """An OAuth 2.0 error response: `error` is the RFC 6749 code, `status` the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class NewApp:
    app: App
    client_secret: str


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def parse_scopes(raw: str | list[str] | None) -> list[str]:
    parts = raw if isinstance(raw, list) else (raw or "").replace(",", " ").split()
    return sorted(dict.fromkeys(p.strip() for p in parts if p.strip()))


# ---------------------------------------------------------------- registration (admin, command line)


async def create_app(session: AsyncSession, name: str, scopes: list[str], redirect_uris: list[str]) -> NewApp:
    unknown = [s for s in scopes if s not in SCOPES]
    if not name.strip():
        raise UserInputError.one(ErrorCode.REQUIRED, "required", ("name",))
    if not scopes or unknown:
        raise UserInputError.one(ErrorCode.INVALID, "app.scopes", ("scopes",), known=", ".join(SCOPES))
    for uri in redirect_uris:
        if not _valid_redirect_uri(uri):
            raise UserInputError.one(ErrorCode.INVALID, "app.redirect_uri", ("redirectUri",), uri=uri)
    secret = secrets.token_urlsafe(32)
    app = App(
        client_id="app_" + secrets.token_urlsafe(12),
        secret_hash=_sha256(secret),
        name=" ".join(name.split()),
        scopes=" ".join(scopes),
        redirect_uris="\n".join(redirect_uris),
    )
    session.add(app)
    await session.commit()
    return NewApp(app, secret)


def _valid_redirect_uri(uri: str) -> bool:
    # No fragment (RFC 6749 §3.1.2); https, or http for apps on the developer's own machine.
    return not urlsplit(uri).fragment and https_or_loopback(uri)


# ---------------------------------------------------------------- token endpoint


async def authenticate_client(session: AsyncSession, client_id: str | None, secret: str | None) -> App:
    app = await session.scalar(select(App).where(App.client_id == (client_id or ""))) if client_id else None
    # Compare even when the app is unknown, so timing does not tell which client ids exist.
    expected = app.secret_hash if app is not None else _sha256("no such app")
    if not hmac.compare_digest(expected, _sha256(secret or "")) or app is None or app.disabled_at is not None:
        raise OAuthError("invalid_client", "Unknown client or wrong client secret.", 401)
    return app


def _narrow(app: App, requested: str | None, allowed: set[str] | None = None) -> list[str]:
    granted = set(app.scopes.split()) if allowed is None else allowed & set(app.scopes.split())
    if requested is None:
        return sorted(granted)
    wanted = parse_scopes(requested)
    if not wanted or any(s not in granted for s in wanted):
        raise OAuthError(
            "invalid_scope", f"This client may ask for: {' '.join(sorted(granted)) or 'nothing'}."
        )
    return wanted


async def client_credentials(deps: IdentityDeps, app: App, requested: str | None) -> TokenResponse:
    """An app token that acts for nobody: only scopes that need no resident."""
    scopes = _narrow(app, requested, APP_ONLY_SCOPES)
    if not scopes:
        raise OAuthError("invalid_scope", "This client has no scope usable without a resident (read:public).")
    now = utcnow()
    token, expires = deps.tokens.issue(
        account_id=None, role=None, agency_id=None, now=now, scopes=scopes, app_id=app.id
    )
    return TokenResponse(token, int((expires - now).total_seconds()), " ".join(scopes))


async def exchange_code(
    session: AsyncSession,
    deps: IdentityDeps,
    app: App,
    code: str,
    redirect_uri: str | None,
    verifier: str | None,
) -> TokenResponse:
    if not code or not verifier:
        raise OAuthError("invalid_request", "code and code_verifier are required.")
    now = utcnow()
    claimed = await session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.code_hash == _sha256(code),
            AuthorizationCode.app_id == app.id,
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(
            AuthorizationCode.account_id,
            AuthorizationCode.scopes,
            AuthorizationCode.redirect_uri,
            AuthorizationCode.code_challenge,
        )
    )
    row = claimed.first()
    if row is None:
        await session.rollback()
        raise OAuthError("invalid_grant", "The code is unknown, used, expired or for another client.")
    account_id, scopes, bound_uri, challenge = row
    if redirect_uri != bound_uri:
        await session.rollback()
        raise OAuthError("invalid_grant", "redirect_uri differs from the one of the authorization request.")
    if not hmac.compare_digest(challenge, pkce_challenge(verifier)):
        await session.rollback()
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge.")
    account = await session.get(Account, account_id)
    if account is None or not await grant_is_active(session, app.id, account_id):
        await session.rollback()
        raise OAuthError("invalid_grant", "The resident withdrew this app's access.")
    response = await _issue_for_account(session, deps, app, account, scopes.split(), str(uuid.uuid4()), now)
    await session.commit()
    return response


async def refresh_for_app(
    session: AsyncSession, deps: IdentityDeps, app: App, token: str | None
) -> TokenResponse:
    """Rotate an app's refresh token; reuse revokes the family, as for the hub's own sign-ins."""
    now = utcnow()
    if not token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    token_hash = hash_refresh_token(token)
    claimed = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.app_id == app.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(RefreshToken.account_id, RefreshToken.family_id, RefreshToken.scopes)
    )
    row = claimed.first()
    if row is None:
        stored = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
        if stored is not None and stored.used_at is not None and stored.app_id == app.id:
            await session.execute(
                update(RefreshToken).where(RefreshToken.family_id == stored.family_id).values(revoked_at=now)
            )
            await session.commit()
        else:
            await session.rollback()
        raise OAuthError("invalid_grant", "The refresh token is unknown, used, revoked or expired.")
    account_id, family_id, scopes = row
    account = await session.get(Account, account_id)
    if account is None or not await grant_is_active(session, app.id, account_id):
        await session.rollback()
        raise OAuthError("invalid_grant", "The resident withdrew this app's access.")
    response = await _issue_for_account(session, deps, app, account, (scopes or "").split(), family_id, now)
    await session.commit()
    return response


async def _issue_for_account(
    session: AsyncSession,
    deps: IdentityDeps,
    app: App,
    account: Account,
    scopes: list[str],
    family: str,
    now: datetime,
) -> TokenResponse:
    token, expires = deps.tokens.issue(
        account_id=account.id,
        role=account.role,
        agency_id=account.agency_id,
        now=now,
        scopes=scopes,
        app_id=app.id,
    )
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            account_id=account.id,
            family_id=family,
            token_hash=hash_refresh_token(refresh),
            created_at=now,
            expires_at=now + deps.refresh_lifetime,
            app_id=app.id,
            scopes=" ".join(scopes),
        )
    )
    return TokenResponse(token, int((expires - now).total_seconds()), " ".join(scopes), refresh)


def pkce_challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        .rstrip(b"=")
        .decode()
    )


# ---------------------------------------------------------------- authorization (the resident consents)


@dataclass(frozen=True)
class AuthorizationRequest:
    app: App
    scopes: list[str]
    redirect_uri: str
    state: str | None
    code_challenge: str


async def check_authorization_request(
    session: AsyncSession,
    client_id: str | None,
    redirect_uri: str | None,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
    response_type: str | None = "code",
) -> AuthorizationRequest:
    """Validate an authorization request. Errors before the redirect URI is trusted are never redirected."""
    app = await session.scalar(select(App).where(App.client_id == (client_id or ""))) if client_id else None
    if app is None or app.disabled_at is not None:
        raise OAuthError("invalid_client", "Unknown client_id.")
    if not redirect_uri or redirect_uri not in app.redirect_uris.split("\n"):
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client.")
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
    if not code_challenge or code_challenge_method != "S256" or not 43 <= len(code_challenge) <= 128:
        raise OAuthError(
            "invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256."
        )
    scopes = _narrow(app, scope)
    return AuthorizationRequest(app, scopes, redirect_uri, state, code_challenge)


async def approve(session: AsyncSession, principal: Principal, request: AuthorizationRequest) -> str:
    """The signed-in resident consents: record the grant, return the redirect URL carrying a one-time code."""
    if principal.account_id is None or principal.app_id is not None:
        raise NotAuthenticated()
    now = utcnow()
    grant = await session.scalar(
        select(AppGrant).where(AppGrant.app_id == request.app.id, AppGrant.account_id == principal.account_id)
    )
    if grant is None:
        session.add(
            AppGrant(app_id=request.app.id, account_id=principal.account_id, scopes=" ".join(request.scopes))
        )
    else:
        kept = set(grant.scopes.split()) if grant.revoked_at is None else set()
        grant.scopes = " ".join(sorted(kept | set(request.scopes)))
        grant.granted_at, grant.revoked_at = now, None
    code = secrets.token_urlsafe(32)
    session.add(
        AuthorizationCode(
            code_hash=_sha256(code),
            app_id=request.app.id,
            account_id=principal.account_id,
            scopes=" ".join(request.scopes),
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            expires_at=now + CODE_LIFETIME,
        )
    )
    await session.commit()
    return _redirect(request.redirect_uri, {"code": code, "state": request.state})


def deny_redirect(request: AuthorizationRequest) -> str:
    return _redirect(
        request.redirect_uri,
        {"error": "access_denied", "error_description": "The resident declined.", "state": request.state},
    )


def _redirect(uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


# ---------------------------------------------------------------- the resident's view


async def connected_apps(session: AsyncSession, principal: Principal) -> list[tuple[AppGrant, App]]:
    if principal.account_id is None:
        raise NotAuthenticated()
    rows = await session.execute(
        select(AppGrant, App)
        .join(App, App.id == AppGrant.app_id)
        .where(AppGrant.account_id == principal.account_id, AppGrant.revoked_at.is_(None))
        .order_by(AppGrant.granted_at.desc())
    )
    return [(grant, app) for grant, app in rows.tuples()]


async def revoke_app_access(session: AsyncSession, principal: Principal, client_id: str) -> None:
    """The app stops acting for this resident at once: grant and refresh tokens revoked."""
    if principal.account_id is None or principal.app_id is not None:
        raise NotAuthenticated()
    app = await session.scalar(select(App).where(App.client_id == client_id))
    grant = (
        await session.scalar(
            select(AppGrant).where(
                AppGrant.app_id == app.id,
                AppGrant.account_id == principal.account_id,
                AppGrant.revoked_at.is_(None),
            )
        )
        if app is not None
        else None
    )
    if app is None or grant is None:
        raise UserInputError.one(ErrorCode.NOT_FOUND, "app.not_connected", ("input", "clientId"))
    now = utcnow()
    grant.revoked_at = now
    await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.app_id == app.id,
            RefreshToken.account_id == principal.account_id,
            RefreshToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await session.commit()


async def grant_is_active(session: AsyncSession, app_id: int, account_id: int) -> bool:
    row = (
        await session.execute(
            select(AppGrant.revoked_at).where(AppGrant.app_id == app_id, AppGrant.account_id == account_id)
        )
    ).first()
    return row is not None and row[0] is None


class GrantCache:
    """Whether (app, resident) grants are active, remembered a few seconds: a revocation takes effect on
    every process within `ttl` seconds, without a database read on every request of an app."""

    def __init__(self, session_factory: object, ttl: float = 5.0) -> None:
        self.session_factory = session_factory
        self.ttl = ttl
        self._seen: dict[tuple[int, int], tuple[float, bool]] = {}

    async def active(self, app_id: int, account_id: int) -> bool:
        key = (app_id, account_id)
        now = time.monotonic()
        cached = self._seen.get(key)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        async with self.session_factory() as session:  # type: ignore[operator]
            value = await grant_is_active(session, app_id, account_id)
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[key] = (now, value)
        return value


def grant_cache(hub: Any) -> GrantCache:
    """The hub's GrantCache, made on first use."""
    cache = hub.extras.get("app_grant_cache")
    if cache is None:
        cache = hub.extras["app_grant_cache"] = GrantCache(hub.session_factory)
    return cache
