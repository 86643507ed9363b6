"""Feedback rules: submit, move along the state machine, reply, support, follow, rate.

Every function takes the session and the acting Principal, decides permission itself, and either
commits a whole change or raises UserInputError having changed nothing (files included).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit, Agency, FeedbackCategory
from server.catalog.service import responsible_agency_id
from server.db import utcnow
from server.errors import ErrorCode, ErrorCollector, UserInputError
from server.feedback import geo, sla
from server.feedback.models import Feedback, FeedbackEvent, FeedbackFollow, FeedbackPhoto, FeedbackSupport
from server.feedback.queries import load_feedback
from server.feedback.states import EventKind, Status, author_may_move, cadre_may_move, is_open
from server.identity.principal import Principal, Role
from server.media import photos as media
from server.notify.feedback_events import (
    feedback_assigned,
    feedback_changed,
    feedback_closed_after_wait,
    feedback_support_changed,
)
from server.text import fold, nfc

MAX_PHOTOS = 6
TITLE = (3, 200)
DESCRIPTION = (1, 5000)
MESSAGE = (1, 5000)
CLOSE_AFTER = timedelta(days=7)


@dataclass
class NewFeedback:
    idempotency_key: str
    title: str
    description: str
    category_id: int
    latitude: float
    longitude: float
    address: str | None = None
    anonymous: bool = False
    photos: list[bytes] = field(default_factory=list)


def _need_account(principal: Principal) -> int:
    if principal.account_id is None:
        raise UserInputError.one(ErrorCode.UNAUTHENTICATED, "feedback.sign_in")
    return principal.account_id


def _text(
    errors: ErrorCollector, value: str | None, bounds: tuple[int, int], path: tuple[str, ...], key: str
) -> str:
    cleaned = nfc(value or "").strip()
    if not cleaned:
        errors.add(ErrorCode.REQUIRED, "required", path)
    elif not bounds[0] <= len(cleaned) <= bounds[1]:
        errors.add(ErrorCode.INVALID, key, path, min=bounds[0], max=bounds[1])
    return cleaned


def search_text(feedback: Feedback) -> str:
    parts = [feedback.reference_code, feedback.title, feedback.description, feedback.address]
    # Padded with spaces so that LIKE '% word%' finds word prefixes anywhere, the first word included.
    return " " + fold(" ".join(p for p in parts if p)) + " "


async def _process_photos(
    errors: ErrorCollector, photos: list[bytes], path: tuple[str, ...]
) -> list[media.ProcessedPhoto]:
    if len(photos) > MAX_PHOTOS:
        errors.add(ErrorCode.INVALID, "feedback.too_many_photos", path, max=MAX_PHOTOS)
        return []
    done: list[media.ProcessedPhoto] = []
    for index, data in enumerate(photos):
        try:
            # Decoding and resizing is CPU work: off the event loop, so other requests keep flowing.
            done.append(await asyncio.to_thread(media.process, data))
        except media.PhotoRejected as rejected:
            code = ErrorCode.TOO_LARGE if rejected.reason == "TOO_LARGE" else ErrorCode.UNSUPPORTED_MEDIA_TYPE
            key = "photo.too_large" if code is ErrorCode.TOO_LARGE else "photo.unsupported"
            errors.add(code, key, (*path, str(index)))
    return done


def _store_photos(
    session: AsyncSession,
    store: media.MediaStore,
    feedback_id: int,
    event_id: int | None,
    processed: list[media.ProcessedPhoto],
) -> None:
    for position, photo in enumerate(processed):
        store.put(photo.full_name, photo.full)
        store.put(photo.thumbnail_name, photo.thumbnail)
        session.add(
            FeedbackPhoto(
                feedback_id=feedback_id,
                event_id=event_id,
                position=position,
                path=photo.full_name,
                thumbnail_path=photo.thumbnail_name,
                width=photo.width,
                height=photo.height,
            )
        )


async def _undo_files(session: AsyncSession, store: media.MediaStore) -> None:
    """After a rollback: delete the files this request wrote that no committed row points at."""
    if not store.created:
        return
    names = [p.relative_to(store.root).as_posix() for p in store.created]
    kept = set(await session.scalars(select(FeedbackPhoto.path).where(FeedbackPhoto.path.in_(names)))) | set(
        await session.scalars(
            select(FeedbackPhoto.thumbnail_path).where(FeedbackPhoto.thumbnail_path.in_(names))
        )
    )
    store.discard_created(kept)


async def _existing_by_key(session: AsyncSession, account_id: int, key: str) -> int | None:
    return await session.scalar(
        select(Feedback.id).where(Feedback.author_account_id == account_id, Feedback.idempotency_key == key)
    )


async def submit(
    session: AsyncSession, principal: Principal, media_root: Path, data: NewFeedback
) -> Feedback:
    """Create a feedback, or return the one an earlier request with the same key created."""
    account_id = _need_account(principal)
    key = (data.idempotency_key or "").strip()
    if not 1 <= len(key) <= 100:
        raise UserInputError.one(ErrorCode.INVALID, "feedback.key_invalid", ("input", "idempotencyKey"))
    existing = await _existing_by_key(session, account_id, key)
    if existing is not None:
        return await load_feedback(session, existing)

    errors = ErrorCollector()
    title = _text(errors, data.title, TITLE, ("input", "title"), "feedback.title_length")
    description = _text(
        errors, data.description, DESCRIPTION, ("input", "description"), "feedback.text_length"
    )
    address = nfc(data.address).strip() or None if data.address else None
    if address is not None and len(address) > 400:
        errors.add(ErrorCode.INVALID, "feedback.text_length", ("input", "address"), min=0, max=400)
    category = await session.get(FeedbackCategory, data.category_id)
    if category is None:
        errors.add(ErrorCode.NOT_FOUND, "feedback.category_not_found", ("input", "categoryId"))
    lat, lon = data.latitude, data.longitude
    if not -90 <= lat <= 90:
        errors.add(ErrorCode.INVALID, "feedback.coordinate_invalid", ("input", "location", "latitude"))
    if not -180 <= lon <= 180:
        errors.add(ErrorCode.INVALID, "feedback.coordinate_invalid", ("input", "location", "longitude"))
    if -90 <= lat <= 90 and -180 <= lon <= 180 and not geo.in_province(lat, lon):
        errors.add(ErrorCode.OUT_OF_AREA, "feedback.out_of_area", ("input", "location"))
    processed = await _process_photos(errors, data.photos, ("input", "photos"))
    errors.raise_if_any()
    assert category is not None

    match = geo.locate_unit(lat, lon)
    unit_id = (
        await session.scalar(select(AdministrativeUnit.id).where(AdministrativeUnit.code == match.code))
        if match
        else None
    )
    agency_id = await responsible_agency_id(session, category.id, unit_id)
    now = utcnow()
    feedback = Feedback(
        title=title,
        description=description,
        category_id=category.id,
        status=(Status.ASSIGNED if agency_id else Status.SUBMITTED).value,
        latitude=lat,
        longitude=lon,
        address=address,
        unit_id=unit_id,
        author_account_id=account_id,
        anonymous=bool(data.anonymous),
        assigned_agency_id=agency_id,
        created_at=now,
        updated_at=now,
        due_at=sla.due_at(now, category.sla_hours, urgent=category.urgent) if agency_id else None,
        version=1,
        support_count=0,
        idempotency_key=key,
    )
    store = media.MediaStore(media_root)
    try:
        session.add(feedback)
        # The insert claims the key: a parallel request with the same key waits here, then fails.
        await session.flush()
        feedback.reference_code = f"PA-{now.year}-{feedback.id:06d}"
        feedback.search_text = search_text(feedback)
        session.add(
            FeedbackEvent(
                feedback_id=feedback.id,
                kind=EventKind.SUBMITTED.value,
                status=Status.SUBMITTED.value,
                actor_account_id=account_id,
                created_at=now,
            )
        )
        if agency_id:
            session.add(
                FeedbackEvent(
                    feedback_id=feedback.id,
                    kind=EventKind.ASSIGNED.value,
                    status=Status.ASSIGNED.value,
                    created_at=now,
                )
            )
            await feedback_assigned(session, principal, feedback, agency_id)
        _store_photos(session, store, feedback.id, None, processed)
        await session.commit()
    except IntegrityError:
        await session.rollback()
        await _undo_files(session, store)
        winner = await _existing_by_key(session, account_id, key)
        if winner is None:
            raise
        return await load_feedback(session, winner)
    except BaseException:
        await session.rollback()
        await _undo_files(session, store)
        raise
    return await load_feedback(session, feedback.id)


# ---------------------------------------------------------------- lifecycle


async def _get_for_change(session: AsyncSession, feedback_id: int) -> Feedback:
    feedback = await session.get(Feedback, feedback_id)
    if feedback is None:
        raise UserInputError.one(ErrorCode.NOT_FOUND, "feedback.not_found", ("input", "id"))
    return feedback


def _may_handle(principal: Principal, feedback: Feedback) -> bool:
    return principal.is_admin or principal.is_cadre_of(feedback.assigned_agency_id)


def _check_version(feedback: Feedback, expected: int | None) -> None:
    if expected is not None and expected != feedback.version:
        raise UserInputError.one(
            ErrorCode.CONFLICT, "feedback.conflict", ("input", "expectedVersion"), current=feedback.version
        )


async def _bump(session: AsyncSession, feedback: Feedback, expected: int, **values: object) -> None:
    """Write `values` only if nobody changed the row since it was read (optimistic concurrency)."""
    now = utcnow()
    result = await session.execute(
        update(Feedback)
        .where(Feedback.id == feedback.id, Feedback.version == expected)
        .values(version=expected + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        current = await session.scalar(select(Feedback.version).where(Feedback.id == feedback.id))
        raise UserInputError.one(
            ErrorCode.CONFLICT, "feedback.conflict", ("input", "expectedVersion"), current=current
        )


def _event(
    feedback_id: int, principal: Principal, kind: EventKind, status: Status | None, message: str | None
) -> FeedbackEvent:
    return FeedbackEvent(
        feedback_id=feedback_id,
        kind=kind.value,
        status=status.value if status else None,
        message=message,
        actor_account_id=principal.account_id,
        actor_agency_id=principal.agency_id if principal.role is Role.CADRE else None,
        created_at=utcnow(),
    )


async def _commit_with_photos(
    session: AsyncSession,
    media_root: Path,
    feedback_id: int,
    event: FeedbackEvent,
    processed: list[media.ProcessedPhoto],
) -> Feedback:
    store = media.MediaStore(media_root)
    try:
        session.add(event)
        await session.flush()
        _store_photos(session, store, feedback_id, event.id, processed)
        await session.commit()
    except BaseException:
        await session.rollback()
        await _undo_files(session, store)
        raise
    return await load_feedback(session, feedback_id)


async def _move_flags(session: AsyncSession, source_id: int, target_id: int) -> None:
    """A duplicate's supporters and followers now support and follow the original."""
    for model in (FeedbackSupport, FeedbackFollow):
        already = select(model.account_id).where(model.feedback_id == target_id)
        await session.execute(
            insert(model).from_select(
                ["feedback_id", "account_id", "created_at"],
                select(literal(target_id), model.account_id, model.created_at).where(
                    model.feedback_id == source_id, model.account_id.not_in(already)
                ),
            )
        )
        await session.execute(delete(model).where(model.feedback_id == source_id))
    for pk in (source_id, target_id):
        count = select(func.count()).select_from(FeedbackSupport).where(FeedbackSupport.feedback_id == pk)
        await session.execute(
            update(Feedback).where(Feedback.id == pk).values(support_count=count.scalar_subquery())
        )


async def transition(
    session: AsyncSession,
    principal: Principal,
    media_root: Path,
    feedback_id: int,
    target: Status,
    expected_version: int,
    message: str | None = None,
    duplicate_of_id: int | None = None,
    photos: list[bytes] | None = None,
) -> Feedback:
    """A cadre of the assigned agency (or an admin) moves the feedback along."""
    _need_account(principal)
    feedback = await _get_for_change(session, feedback_id)
    if not _may_handle(principal, feedback):
        raise UserInputError.one(ErrorCode.FORBIDDEN, "feedback.forbidden", ("input", "id"))
    _check_version(feedback, expected_version)
    current = Status(feedback.status)
    if not cadre_may_move(current, target) or (
        target is Status.ASSIGNED and feedback.assigned_agency_id is None
    ):
        raise UserInputError.one(
            ErrorCode.INVALID_TRANSITION,
            "feedback.invalid_transition",
            ("input", "status"),
            current=current.value,
            target=target.value,
        )
    errors = ErrorCollector()
    text = nfc(message or "").strip() or None
    if text is not None and len(text) > MESSAGE[1]:
        errors.add(
            ErrorCode.INVALID, "feedback.text_length", ("input", "message"), min=MESSAGE[0], max=MESSAGE[1]
        )
    if target is Status.REJECTED and text is None:
        errors.add(ErrorCode.REQUIRED, "feedback.reason_required", ("input", "message"))
    original: Feedback | None = None
    if target is Status.DUPLICATE:
        if duplicate_of_id is None:
            errors.add(ErrorCode.REQUIRED, "feedback.duplicate_of_required", ("input", "duplicateOfId"))
        else:
            original = await session.get(Feedback, duplicate_of_id)
            if original is None or original.id == feedback.id or original.status == Status.DUPLICATE.value:
                errors.add(ErrorCode.INVALID, "feedback.duplicate_of_invalid", ("input", "duplicateOfId"))
    processed = await _process_photos(errors, photos or [], ("input", "photos"))
    errors.raise_if_any()
    now = utcnow()
    values: dict[str, object] = {"status": target.value}
    if target is Status.RESOLVED:
        values["resolved_at"] = now
    if target in (Status.REJECTED, Status.DUPLICATE):
        values["closed_at"] = now
    if original is not None:
        values["duplicate_of_id"] = original.id
    await _bump(session, feedback, expected_version, **values)
    if original is not None:
        await _move_flags(session, feedback.id, original.id)
    event = _event(feedback.id, principal, EventKind.STATUS_CHANGED, target, text)
    await feedback_changed(session, principal, feedback, "STATUS_CHANGED", target.value)
    return await _commit_with_photos(session, media_root, feedback.id, event, processed)


async def assign(
    session: AsyncSession, principal: Principal, feedback_id: int, agency_id: int, expected_version: int
) -> Feedback:
    """Hand an open feedback to another agency: admins always, cadres of the agency now holding it."""
    _need_account(principal)
    feedback = await _get_for_change(session, feedback_id)
    if not (principal.is_admin or principal.is_cadre_of(feedback.assigned_agency_id)):
        raise UserInputError.one(ErrorCode.FORBIDDEN, "feedback.forbidden", ("input", "id"))
    _check_version(feedback, expected_version)
    agency = await session.get(Agency, agency_id)
    if agency is None:
        raise UserInputError.one(ErrorCode.NOT_FOUND, "feedback.agency_not_found", ("input", "agencyId"))
    current = Status(feedback.status)
    if not is_open(current):
        raise UserInputError.one(
            ErrorCode.INVALID_TRANSITION,
            "feedback.invalid_transition",
            ("input", "id"),
            current=current.value,
            target=Status.ASSIGNED.value,
        )
    category = await session.get(FeedbackCategory, feedback.category_id)
    now = utcnow()
    due = sla.due_at(now, category.sla_hours, urgent=category.urgent) if category else None
    await _bump(
        session,
        feedback,
        expected_version,
        status=Status.ASSIGNED.value,
        assigned_agency_id=agency.id,
        due_at=due,
    )
    session.add(_event(feedback.id, principal, EventKind.ASSIGNED, Status.ASSIGNED, agency.name))
    await feedback_assigned(session, principal, feedback, agency.id)
    await session.commit()
    return await load_feedback(session, feedback.id)


async def reply(
    session: AsyncSession,
    principal: Principal,
    media_root: Path,
    feedback_id: int,
    message: str,
    expected_version: int | None = None,
    photos: list[bytes] | None = None,
) -> Feedback:
    _need_account(principal)
    feedback = await _get_for_change(session, feedback_id)
    if not _may_handle(principal, feedback):
        raise UserInputError.one(ErrorCode.FORBIDDEN, "feedback.forbidden", ("input", "id"))
    _check_version(feedback, expected_version)
    errors = ErrorCollector()
    text = _text(errors, message, MESSAGE, ("input", "message"), "feedback.text_length")
    processed = await _process_photos(errors, photos or [], ("input", "photos"))
    errors.raise_if_any()
    await _bump(session, feedback, feedback.version)
    event = _event(feedback.id, principal, EventKind.REPLY, None, text)
    await feedback_changed(session, principal, feedback, "REPLY", None)
    return await _commit_with_photos(session, media_root, feedback.id, event, processed)


def _need_author(principal: Principal, feedback: Feedback) -> None:
    if principal.account_id is None or feedback.author_account_id != principal.account_id:
        raise UserInputError.one(ErrorCode.FORBIDDEN, "feedback.author_only", ("input", "id"))


async def reopen(
    session: AsyncSession,
    principal: Principal,
    media_root: Path,
    feedback_id: int,
    reason: str,
    photos: list[bytes] | None = None,
) -> Feedback:
    """The author says a RESOLVED feedback is not fixed: back to IN_PROGRESS at the same agency."""
    _need_account(principal)
    feedback = await _get_for_change(session, feedback_id)
    _need_author(principal, feedback)
    current = Status(effective_status(feedback))
    if not author_may_move(current, Status.IN_PROGRESS):
        raise UserInputError.one(
            ErrorCode.INVALID_TRANSITION,
            "feedback.invalid_transition",
            ("input", "id"),
            current=current.value,
            target=Status.IN_PROGRESS.value,
        )
    errors = ErrorCollector()
    text = _text(errors, reason, MESSAGE, ("input", "reason"), "feedback.text_length")
    processed = await _process_photos(errors, photos or [], ("input", "photos"))
    errors.raise_if_any()
    await _bump(session, feedback, feedback.version, status=Status.IN_PROGRESS.value, resolved_at=None)
    event = _event(feedback.id, principal, EventKind.REOPENED, Status.IN_PROGRESS, text)
    await feedback_changed(session, principal, feedback, "REOPENED", Status.IN_PROGRESS.value)
    return await _commit_with_photos(session, media_root, feedback.id, event, processed)


async def rate(
    session: AsyncSession, principal: Principal, feedback_id: int, rating: int, comment: str | None
) -> Feedback:
    """The author rates once, when RESOLVED or CLOSED; a RESOLVED feedback then closes."""
    _need_account(principal)
    feedback = await _get_for_change(session, feedback_id)
    _need_author(principal, feedback)
    if not 1 <= rating <= 5:
        raise UserInputError.one(ErrorCode.INVALID, "feedback.rating_range", ("input", "rating"))
    if feedback.rating is not None:
        raise UserInputError.one(ErrorCode.ALREADY_EXISTS, "feedback.already_rated", ("input", "rating"))
    current = Status(effective_status(feedback))
    if current not in (Status.RESOLVED, Status.CLOSED):
        raise UserInputError.one(
            ErrorCode.INVALID_TRANSITION,
            "feedback.invalid_transition",
            ("input", "id"),
            current=current.value,
            target=Status.CLOSED.value,
        )
    text = nfc(comment or "").strip() or None
    if text is not None and len(text) > MESSAGE[1]:
        raise UserInputError.one(
            ErrorCode.INVALID, "feedback.text_length", ("input", "comment"), min=MESSAGE[0], max=MESSAGE[1]
        )
    now = utcnow()
    values: dict[str, object] = {"rating": rating, "rating_comment": text, "status": Status.CLOSED.value}
    if feedback.closed_at is None:
        values["closed_at"] = now
    await _bump(session, feedback, feedback.version, **values)
    session.add(_event(feedback.id, principal, EventKind.RATED, Status.CLOSED, text))
    await feedback_changed(session, principal, feedback, "RATED", Status.CLOSED.value)
    await session.commit()
    return await load_feedback(session, feedback.id)


async def set_flag(
    session: AsyncSession, principal: Principal, feedback_id: int, value: bool, *, support: bool
) -> Feedback:
    """Support ("me too", which also follows) or follow; value False withdraws. Idempotent."""
    account_id = _need_account(principal)
    exists = await session.scalar(select(Feedback.id).where(Feedback.id == feedback_id))
    if exists is None:
        raise UserInputError.one(ErrorCode.NOT_FOUND, "feedback.not_found", ("input", "id"))
    models = (
        [FeedbackSupport, FeedbackFollow]
        if (support and value)
        else [FeedbackSupport if support else FeedbackFollow]
    )
    for model in models:
        if value:
            present = await session.scalar(
                select(model.account_id).where(
                    model.feedback_id == feedback_id, model.account_id == account_id
                )
            )
            if present is None:
                session.add(model(feedback_id=feedback_id, account_id=account_id))
        else:
            await session.execute(
                delete(model).where(model.feedback_id == feedback_id, model.account_id == account_id)
            )
    try:
        await session.flush()
    except IntegrityError:  # a parallel identical request won: the flag is set either way
        await session.rollback()
        return await load_feedback(session, feedback_id)
    if support:
        count = (
            select(func.count())
            .select_from(FeedbackSupport)
            .where(FeedbackSupport.feedback_id == feedback_id)
        )
        await session.execute(
            update(Feedback).where(Feedback.id == feedback_id).values(support_count=count.scalar_subquery())
        )
        await feedback_support_changed(session, feedback_id)
    await session.commit()
    return await load_feedback(session, feedback_id)


# ---------------------------------------------------------------- closing after the waiting time


def effective_status(feedback: Feedback, now: datetime | None = None) -> str:
    """RESOLVED for longer than the waiting time reads as CLOSED, before the sweep writes it."""
    if feedback.status == Status.RESOLVED.value and feedback.resolved_at is not None:
        if feedback.resolved_at + CLOSE_AFTER <= (now or datetime.now(UTC)):
            return Status.CLOSED.value
    return feedback.status


async def close_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Close what stayed RESOLVED for the waiting time without a rating. Returns how many."""
    now = now or utcnow()
    rows = list(
        (
            await session.execute(
                select(Feedback.id, Feedback.resolved_at).where(
                    Feedback.status == Status.RESOLVED.value, Feedback.resolved_at <= now - CLOSE_AFTER
                )
            )
        ).all()
    )
    for pk, resolved_at in rows:
        result = await session.execute(
            update(Feedback)
            .where(Feedback.id == pk, Feedback.status == Status.RESOLVED.value)
            .values(
                status=Status.CLOSED.value,
                closed_at=resolved_at + CLOSE_AFTER,
                version=Feedback.version + 1,
                updated_at=now,
            )
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.add(
                FeedbackEvent(
                    feedback_id=pk,
                    kind=EventKind.STATUS_CHANGED.value,
                    status=Status.CLOSED.value,
                    created_at=now,
                )
            )
            await feedback_closed_after_wait(session, pk)
    await session.commit()
    return len(rows)


# ---------------------------------------------------------------- privacy


def sees_author(principal: Principal, feedback: Feedback) -> bool:
    """Who may learn who wrote an anonymous report: the author, cadres of the assigned agency, admins."""
    if not feedback.anonymous:
        return True
    return (
        (principal.account_id is not None and principal.account_id == feedback.author_account_id)
        or principal.is_admin
        or principal.is_cadre_of(feedback.assigned_agency_id)
    )


def sees_exact_location(principal: Principal, feedback: Feedback) -> bool:
    return (
        principal.account_id is not None and principal.account_id == feedback.author_account_id
    ) or principal.role in (Role.CADRE, Role.ADMIN)


async def author_contact(session: AsyncSession, principal: Principal, feedback: Feedback) -> object | None:
    """The author's account for a cadre of the assigned agency, recorded in the author's access log."""
    from server.identity.models import Account
    from server.privacy.service import record_access

    if feedback.author_account_id is None or not principal.is_cadre_of(feedback.assigned_agency_id):
        return None
    if principal.app_id is not None:
        return None  # a third-party app never receives a resident's contact details, whoever it acts for
    account = await session.get(Account, feedback.author_account_id)
    if account is None:
        return None
    record_access(
        session,
        principal,
        account.id,
        "access.contact_details",
        f"access.handling_feedback|{feedback.reference_code}",
    )
    await session.commit()
    return account
