"""Identity rules: registration, sign-in, token refresh and revocation, account reads."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit, Agency
from server.db import utcnow
from server.errors import ErrorCode, ErrorCollector, Forbidden, NotAuthenticated, UserInputError
from server.identity import passwords
from server.identity.models import Account, RefreshToken
from server.identity.phone import InvalidPhone, normalise_phone
from server.identity.principal import Principal, Role
from server.identity.throttle import LoginThrottle
from server.identity.tokens import TokenIssuer, hash_refresh_token, new_refresh_token

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
NATIONAL_ID_RE = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class IdentityDeps:
    tokens: TokenIssuer
    throttle: LoginThrottle
    refresh_lifetime: timedelta


@dataclass(frozen=True)
class AuthResult:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    account: Account


@dataclass(frozen=True)
class NewAccount:
    phone: str
    password: str
    full_name: str
    email: str | None = None
    national_id: str | None = None
    home_unit_id: int | None = None
    language: str | None = None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def mask_national_id(national_id: str | None) -> str | None:
    if not national_id:
        return None
    return national_id[:3] + "*" * (len(national_id) - 6) + national_id[-3:]


# ---------------------------------------------------------------- validation


def _check_new_account(data: NewAccount, path: tuple[str, ...]) -> tuple[ErrorCollector, str | None]:
    errors = ErrorCollector()
    phone: str | None = None
    if not data.phone.strip():
        errors.add(ErrorCode.REQUIRED, "required", (*path, "phone"))
    else:
        try:
            phone = normalise_phone(data.phone)
        except InvalidPhone:
            errors.add(ErrorCode.INVALID, "phone.invalid", (*path, "phone"))
    if not data.password:
        errors.add(ErrorCode.REQUIRED, "required", (*path, "password"))
    else:
        problem = passwords.password_problem(data.password, phone)
        if problem:
            errors.add(ErrorCode.INVALID, problem[0], (*path, "password"), **problem[1])
    name = nfc(data.full_name)
    if not name:
        errors.add(ErrorCode.REQUIRED, "required", (*path, "fullName"))
    elif not 2 <= len(name) <= 200:
        errors.add(ErrorCode.INVALID, "name.invalid", (*path, "fullName"))
    if data.email is not None and data.email.strip() and not EMAIL_RE.match(data.email.strip()):
        errors.add(ErrorCode.INVALID, "email.invalid", (*path, "email"))
    if data.national_id is not None and data.national_id.strip():
        if not NATIONAL_ID_RE.match(data.national_id.strip()):
            errors.add(ErrorCode.INVALID, "national_id.invalid", (*path, "nationalId"))
    return errors, phone


async def _issue(
    session: AsyncSession, deps: IdentityDeps, account: Account, family_id: str, now: datetime
) -> AuthResult:
    access, expires = deps.tokens.issue(
        account_id=account.id, role=account.role, agency_id=account.agency_id, now=now
    )
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            account_id=account.id,
            family_id=family_id,
            token_hash=hash_refresh_token(refresh),
            created_at=now,
            expires_at=now + deps.refresh_lifetime,
        )
    )
    return AuthResult(access, expires, refresh, account)


# ---------------------------------------------------------------- accounts


async def create_account(
    session: AsyncSession,
    data: NewAccount,
    *,
    role: Role = Role.CITIZEN,
    agency_code: str | None = None,
    path: tuple[str, ...] = ("input",),
) -> Account:
    """Validate and add an account (not committed). Raises UserInputError listing every problem."""
    errors, phone = _check_new_account(data, path)
    agency_id: int | None = None
    if role is Role.CADRE:
        if not agency_code:
            errors.add(ErrorCode.REQUIRED, "required", (*path, "agency"))
        else:
            agency_id = await session.scalar(select(Agency.id).where(Agency.code == agency_code))
            if agency_id is None:
                errors.add(ErrorCode.NOT_FOUND, "agency.not_found", (*path, "agency"), agency=agency_code)
    if data.home_unit_id is not None:
        exists = await session.scalar(
            select(AdministrativeUnit.id).where(AdministrativeUnit.id == data.home_unit_id)
        )
        if exists is None:
            errors.add(ErrorCode.NOT_FOUND, "unit.not_found", (*path, "homeUnitId"))
    if phone and await session.scalar(select(Account.id).where(Account.phone == phone)):
        errors.add(ErrorCode.ALREADY_EXISTS, "phone.taken", (*path, "phone"))
    errors.raise_if_any()
    assert phone is not None
    account = Account(
        phone=phone,
        password_hash=passwords.hash_password(data.password),
        full_name=nfc(data.full_name),
        email=data.email.strip().lower() if data.email and data.email.strip() else None,
        national_id=data.national_id.strip() if data.national_id and data.national_id.strip() else None,
        national_id_verified=False,
        role=role.value,
        agency_id=agency_id,
        home_unit_id=data.home_unit_id,
        language=(data.language or "VI").upper(),
    )
    session.add(account)
    return account


async def register(session: AsyncSession, deps: IdentityDeps, data: NewAccount) -> AuthResult:
    now = utcnow()
    account = await create_account(session, data)
    try:
        await session.flush()
    except IntegrityError:
        # Two registrations of one phone raced; the loser sees the same error as a late one.
        await session.rollback()
        raise UserInputError.one(ErrorCode.ALREADY_EXISTS, "phone.taken", ("input", "phone")) from None
    result = await _issue(session, deps, account, str(uuid.uuid4()), now)
    await session.commit()
    return result


async def login(session: AsyncSession, deps: IdentityDeps, raw_phone: str, password: str) -> AuthResult:
    now = utcnow()
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone:
        raise UserInputError.one(ErrorCode.INVALID, "phone.invalid", ("input", "phone")) from None
    until = await deps.throttle.locked_until(session, phone, now)
    if until is not None:
        minutes = max(1, int((until - now).total_seconds() + 59) // 60)
        raise UserInputError.one(
            ErrorCode.RATE_LIMITED, "login.rate_limited", ("input", "phone"), minutes=minutes
        )
    account = await session.scalar(select(Account).where(Account.phone == phone))
    if account is None or not passwords.verify_password(account.password_hash, password):
        await deps.throttle.record_failure(session, phone, now)
        await session.commit()
        raise UserInputError.one(ErrorCode.INVALID_CREDENTIALS, "credentials.invalid", ("input", "password"))
    await deps.throttle.clear(session, phone)
    if account.password_hash and passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    result = await _issue(session, deps, account, str(uuid.uuid4()), now)
    await session.commit()
    return result


async def refresh(session: AsyncSession, deps: IdentityDeps, token: str) -> AuthResult:
    """Rotate a refresh token. One presented twice revokes its whole family: thief and owner sign in again."""
    now = utcnow()
    field = ("input", "refreshToken")
    if not token:
        raise UserInputError.one(ErrorCode.REQUIRED, "required", field)
    token_hash = hash_refresh_token(token)
    # Claim the token atomically: only one of two concurrent uses can set used_at.
    claimed = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(RefreshToken.account_id, RefreshToken.family_id)
    )
    row = claimed.first()
    if row is None:
        stored = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
        if stored is not None and stored.used_at is not None:
            await _revoke_family(session, stored.family_id, now)
            await session.commit()
            raise UserInputError.one(ErrorCode.UNAUTHENTICATED, "refresh.reused", field)
        await session.rollback()
        raise UserInputError.one(ErrorCode.UNAUTHENTICATED, "refresh.invalid", field)
    account_id, family_id = row
    account = await session.get(Account, account_id)
    if account is None:
        await session.rollback()
        raise UserInputError.one(ErrorCode.UNAUTHENTICATED, "refresh.invalid", field)
    result = await _issue(session, deps, account, family_id, now)
    await session.commit()
    return result


async def _revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke the sign-in the refresh token belongs to. Unknown tokens are fine: the session is gone."""
    if not token:
        raise UserInputError.one(ErrorCode.REQUIRED, "required", ("input", "refreshToken"))
    family = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == hash_refresh_token(token))
    )
    if family is not None:
        await _revoke_family(session, family, utcnow())
    await session.commit()


async def get_account(session: AsyncSession, principal: Principal, account_id: int) -> Account | None:
    """An account, for its owner and admins only."""
    if principal.account_id is None:
        raise NotAuthenticated()
    if principal.account_id != account_id and not principal.is_admin:
        raise Forbidden()
    if principal.app_id is not None and not principal.has_scope("read:profile"):
        raise Forbidden()
    account = await session.get(Account, account_id)
    if account is not None and account_id != principal.account_id:
        # An admin reading someone's account: the owner sees it in their data access log.
        from server.privacy.service import record_access

        record_access(session, principal, account.id, "access.account", "access.admin_account_review")
        await session.commit()
    return account


async def viewer_account(session: AsyncSession, principal: Principal) -> Account | None:
    """The signed-in account, or None for anonymous visitors and app-only tokens."""
    if principal.account_id is None:
        return None
    return await get_account(session, principal, principal.account_id)


# ---------------------------------------------------------------- operator commands


async def verify_identity(session: AsyncSession, raw_phone: str) -> Account:
    """Mark an account's national ID as verified (done at an agency's counter, from the command line)."""
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone:
        raise UserInputError.one(ErrorCode.INVALID, "phone.invalid", ("phone",)) from None
    account = await session.scalar(select(Account).where(Account.phone == phone))
    if account is None:
        raise UserInputError.one(ErrorCode.NOT_FOUND, "account.not_found", ("phone",))
    if not account.national_id:
        raise UserInputError.one(ErrorCode.REQUIRED, "national_id.missing", ("phone",))
    other = await session.scalar(
        select(Account.id).where(
            Account.national_id == account.national_id,
            Account.national_id_verified.is_(True),
            Account.id != account.id,
        )
    )
    if other is not None:
        raise UserInputError.one(ErrorCode.ALREADY_EXISTS, "national_id.taken", ("phone",))
    account.national_id_verified = True
    await session.commit()
    return account
