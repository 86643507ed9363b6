"""A person's rights over their personal data (Decree 13/2023, the personal data protection law): a copy of
everything the hub holds about them, and erasure.

Erasure keeps the account row as an empty tombstone (other records, like the data access log, point to it)
and keeps the person's public feedback, anonymised: it is part of the public record of the city's problems.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.apps.models import AppGrant, AuthorizationCode
from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory
from server.db import utcnow
from server.errors import ErrorCode, NotAuthenticated, UserInputError
from server.feedback.models import Feedback, FeedbackEvent, FeedbackFollow
from server.i18n import Lang, translate
from server.identity import passwords
from server.identity.models import Account, RefreshToken
from server.identity.phone import InvalidPhone, normalise_phone
from server.identity.principal import Principal
from server.notify.models import Notification, NotificationPreference, OutboxEvent, PushSubscription
from server.notify.texts import render
from server.privacy.models import DataAccessEvent
from server.records.models import Dossier, DossierEvent

EXPORT_FORMAT = "citizen-hub/personal-data-export/v1"


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _signed_in(principal: Principal) -> int:
    # Only the person themselves, never a third-party app acting for them.
    if principal.account_id is None or principal.app_id is not None:
        raise NotAuthenticated()
    return principal.account_id


async def export_my_data(session: AsyncSession, principal: Principal, lang: Lang) -> dict[str, Any]:
    """Everything the hub holds about the signed-in person, as one JSON-ready document."""
    account_id = _signed_in(principal)
    account = await session.get(Account, account_id)
    if account is None:
        raise NotAuthenticated()
    unit_code = (
        await session.scalar(
            select(AdministrativeUnit.code).where(AdministrativeUnit.id == account.home_unit_id)
        )
        if account.home_unit_id
        else None
    )
    return {
        "format": EXPORT_FORMAT,
        "exportedAt": _time(utcnow()),
        "account": {
            "phone": account.phone,
            "fullName": account.full_name,
            "email": account.email,
            "nationalId": account.national_id,
            "nationalIdVerified": account.national_id_verified,
            "role": account.role,
            "language": account.language,
            "homeUnitCode": unit_code,
            "createdAt": _time(account.created_at),
        },
        "feedback": await _feedback(session, account_id),
        "dossiers": await _dossiers(session, account),
        "notifications": await _notifications(session, account_id, lang),
        "dataAccessLog": await _access_log(session, account_id, lang),
    }


async def _feedback(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(Feedback, FeedbackCategory.code)
            .join(FeedbackCategory, FeedbackCategory.id == Feedback.category_id)
            .where(Feedback.author_account_id == account_id)
            .order_by(Feedback.created_at)
        )
    ).all()
    ids = [feedback.id for feedback, _ in rows]
    events: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for event in await session.scalars(
            select(FeedbackEvent).where(FeedbackEvent.feedback_id.in_(ids)).order_by(FeedbackEvent.id)
        ):
            events[event.feedback_id].append(
                {
                    "kind": event.kind,
                    "status": event.status,
                    "message": event.message,
                    "byMe": event.actor_account_id == account_id,
                    "createdAt": _time(event.created_at),
                }
            )
    return [
        {
            "referenceCode": feedback.reference_code,
            "title": feedback.title,
            "description": feedback.description,
            "category": category,
            "status": feedback.status,
            "latitude": feedback.latitude,
            "longitude": feedback.longitude,
            "address": feedback.address,
            "anonymous": feedback.anonymous,
            "rating": feedback.rating,
            "ratingComment": feedback.rating_comment,
            "createdAt": _time(feedback.created_at),
            "timeline": events[feedback.id],
        }
        for feedback, category in rows
    ]


async def _dossiers(session: AsyncSession, account: Account) -> list[dict[str, Any]]:
    if not account.national_id or not account.national_id_verified:
        return []
    dossiers = list(
        await session.scalars(
            select(Dossier)
            .where(Dossier.citizen_national_id == account.national_id)
            .order_by(Dossier.received_at)
        )
    )
    history: dict[int, list[dict[str, Any]]] = {d.id: [] for d in dossiers}
    if dossiers:
        for event in await session.scalars(
            select(DossierEvent)
            .where(DossierEvent.dossier_id.in_(list(history)))
            .order_by(DossierEvent.occurred_at, DossierEvent.event_id)
        ):
            history[event.dossier_id].append(
                {"status": event.status, "note": event.note, "occurredAt": _time(event.occurred_at)}
            )
    return [
        {
            "code": d.code,
            "procedureCode": d.procedure_code,
            "agencyCode": d.agency_code,
            "status": d.status,
            "receivedAt": _time(d.received_at),
            "dueAt": _time(d.due_at),
            "completedAt": _time(d.completed_at),
            "history": history[d.id],
        }
        for d in dossiers
    ]


async def _notifications(session: AsyncSession, account_id: int, lang: Lang) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(Notification, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == Notification.event_id)
            .where(Notification.account_id == account_id)
            .order_by(Notification.id)
        )
    ).all()
    out = []
    for notification, event in rows:
        title, body = render(event.kind, event.payload or {}, lang)
        out.append(
            {
                "kind": notification.kind,
                "title": title,
                "body": body,
                "subject": f"{event.subject_type}:{event.subject_id}",
                "createdAt": _time(notification.created_at),
                "readAt": _time(notification.read_at),
            }
        )
    return out


async def _access_log(session: AsyncSession, account_id: int, lang: Lang) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(DataAccessEvent, Account.full_name, Account.role, Agency.code)
            .outerjoin(Account, Account.id == DataAccessEvent.accessor_account_id)
            .outerjoin(Agency, Agency.id == DataAccessEvent.accessor_agency_id)
            .where(DataAccessEvent.owner_account_id == account_id)
            .order_by(DataAccessEvent.occurred_at, DataAccessEvent.id)
        )
    ).all()
    return [
        {
            "occurredAt": _time(event.occurred_at),
            "accessor": {"name": name, "role": role, "agencyCode": agency},
            "what": _logged_text(event.what, lang),
            "purpose": _logged_text(event.purpose, lang),
        }
        for event, name, role, agency in rows
    ]


def _logged_text(stored: str, lang: Lang) -> str:
    key, _, arg = stored.partition("|")
    return translate(key, lang, {"ref": arg} if arg else None)


async def delete_my_account(
    session: AsyncSession, principal: Principal, confirm_phone: str, password: str | None
) -> None:
    """Erase the signed-in person's personal data and end every sign-in. Public feedback stays, anonymised.

    The person confirms with their phone number, and their password when the account has one.
    """
    account_id = _signed_in(principal)
    account = await session.get(Account, account_id)
    if account is None:
        raise NotAuthenticated()
    try:
        same_phone = normalise_phone(confirm_phone) == account.phone
    except InvalidPhone:
        same_phone = False
    if not same_phone:
        raise UserInputError.one(
            ErrorCode.INVALID, "delete_account.phone_mismatch", ("input", "confirmPhone")
        )
    if account.password_hash is not None and not passwords.verify_password(
        account.password_hash, password or ""
    ):
        raise UserInputError.one(ErrorCode.INVALID_CREDENTIALS, "credentials.invalid", ("input", "password"))
    now = utcnow()
    if account.national_id and account.national_id_verified:
        # The hub's mirror of the person's dossiers (the one-stop shop keeps the originals), and the outbox
        # events about them (their payloads name the dossier codes; notifications go with them).
        mine = select(Dossier.id).where(Dossier.citizen_national_id == account.national_id)
        await session.execute(
            delete(OutboxEvent).where(OutboxEvent.subject_type == "Dossier", OutboxEvent.subject_id.in_(mine))
        )
        await session.execute(delete(Dossier).where(Dossier.citizen_national_id == account.national_id))
    await session.execute(
        update(Feedback)
        .where(Feedback.author_account_id == account_id)
        .values(author_account_id=None, anonymous=True)
    )
    await session.execute(
        update(FeedbackEvent)
        .where(FeedbackEvent.actor_account_id == account_id)
        .values(actor_account_id=None)
    )
    for model in (FeedbackFollow, Notification, PushSubscription, NotificationPreference, AuthorizationCode):
        await session.execute(delete(model).where(model.account_id == account_id))  # type: ignore[attr-defined]
    await session.execute(
        update(AppGrant)
        .where(AppGrant.account_id == account_id, AppGrant.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    # The tombstone: no name, number, email or ID left; nobody can sign in to it again.
    account.phone = f"deleted-{account.id}"[:16]
    account.full_name = ""
    account.email = None
    account.national_id = None
    account.national_id_verified = False
    account.password_hash = None
    account.home_unit_id = None
    account.agency_id = None
    account.updated_at = now
    await session.commit()
