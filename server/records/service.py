"""Dossier rules: applying LGSP event batches, and reading dossiers (owner only; admins, logged)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import utcnow
from server.errors import Forbidden, NotAuthenticated
from server.identity.models import Account
from server.identity.principal import Principal
from server.privacy.service import record_access
from server.records import bulk, notices
from server.records.ingest import IncomingEvent
from server.records.models import TERMINAL_STATUSES, Dossier, DossierEvent

# A new dossier row starts "older than any event", so its first event is applied like any other.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
_RETRIES = 3
# How a timestamp goes into a batch statement's JSON (bulk.Statements.stamp).
Stamp = Callable[[datetime | None], str | None]


@dataclass(frozen=True)
class AppliedChange:
    """An event that became its dossier's current state (what the owner is told about)."""

    dossier_id: int
    dossier_code: str
    citizen_national_id: str
    status: str
    note: str | None
    due_at: datetime | None
    previous_due_at: datetime | None


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    applied: list[AppliedChange] = field(default_factory=list)


def _is_deadlock(error: DBAPIError) -> bool:
    text = str(error.orig).lower()
    return "deadlock" in text or "40p01" in text or "could not serialize" in text


async def ingest_batch(session: AsyncSession, events: Sequence[IncomingEvent]) -> IngestResult:
    """Store a validated batch in one transaction and commit it. Safe to run concurrently with itself.

    Two batches touching the same dossiers serialise on the dossier rows (one INSERT … ON CONFLICT DO UPDATE
    … RETURNING, in code order, locks them, so no deadlock between them); event ids are unique in the
    database, so a replayed or concurrently posted event is stored once and applied once. A constant number
    of statements a batch, whatever its size (server/records/bulk.py).
    """
    for attempt in range(_RETRIES):
        try:
            result = await _ingest(session, events)
            await session.commit()
            return result
        except DBAPIError as error:
            await session.rollback()
            if attempt == _RETRIES - 1 or not _is_deadlock(error):
                raise
    raise AssertionError("unreachable")


async def _ingest(session: AsyncSession, events: Sequence[IncomingEvent]) -> IngestResult:
    result = IngestResult()
    unique: dict[str, IncomingEvent] = {}
    for event in events:
        if event.event_id in unique:
            result.duplicates += 1  # the same eventId twice in one batch
        else:
            unique[event.event_id] = event
    if not unique:
        return result
    now = utcnow()
    latest: dict[str, IncomingEvent] = {}
    for event in unique.values():
        current = latest.get(event.dossier_code)
        if current is None or event.order_key > current.order_key:
            latest[event.dossier_code] = event
    codes = sorted(latest)
    sql = bulk.statements(session)
    stamp, now_stamp = sql.stamp, sql.stamp(now)
    # The batch statements run on the session's connection (Core): through the ORM session, every
    # RETURNING row went through its object-loading machinery, a tenth of a batch's time.
    conn = await session.connection()
    # 1. A row for every dossier of the batch, locked, its state returned (see bulk.Statements).
    locked = (
        await conn.execute(
            sql.lock_dossiers,
            sql.rows([_new_dossier_row(latest[code], now_stamp, stamp) for code in codes]),
        )
    ).all()
    dossiers = {state.code: state for state in map(_DossierState.from_row, locked)}
    # The owners of the dossiers' national IDs came with the rows (a subquery of the RETURNING).
    owner_of = {row.citizen_national_id: row.owner_id for row in locked}
    # 2. The events; those already stored (replays, or a concurrent batch that committed first) are skipped.
    stored = await conn.execute(
        sql.insert_events,
        sql.rows(
            [_event_row(e, dossiers[e.dossier_code].id, now_stamp, stamp) for _, e in sorted(unique.items())]
        ),
    )
    inserted: set[str] = set(stored.scalars())
    result.accepted = len(inserted)
    result.duplicates += len(unique) - len(inserted)
    due_before = {code: d.due_at for code, d in dossiers.items()}
    # 3. Apply the new events in time order: each one later than its dossier's current state becomes it.
    changed: set[str] = set()
    for event in sorted((unique[i] for i in inserted), key=lambda e: e.order_key):
        dossier = dossiers[event.dossier_code]
        if event.order_key <= (dossier.status_occurred_at, dossier.status_event_id):
            if dossier.due_at is None and event.due_at is not None:
                dossier.due_at = event.due_at  # an older event still tells a due time we lacked
                changed.add(dossier.code)
            continue
        previous_due = dossier.due_at if dossier.status_event_id else None
        _apply(dossier, event, now)
        changed.add(dossier.code)
        result.applied.append(
            AppliedChange(
                dossier.id,
                dossier.code,
                dossier.citizen_national_id,
                event.status,
                event.note,
                dossier.due_at,
                previous_due,
            )
        )
    # 4. The owners' notifications (outbox), 5. the new state written back.
    changed |= await _tell_owners(session, result.applied, dossiers.values(), due_before, now, owner_of)
    if changed:
        written = [dossiers[code] for code in sorted(changed)]
        await conn.execute(sql.write_state, sql.rows([d.params(stamp) for d in written]))
        # The indexed columns only where they changed: on SQLite rewriting them costs index updates even
        # with the same values (typically only the first events of a dossier change them).
        moved = [d.keys(stamp) for d in written if d.keys_changed()]
        if moved:
            await conn.execute(sql.write_keys, sql.rows(moved))
    return result


@dataclass(slots=True)
class _DossierState:
    """A locked dossier row as the batch changes it; written back in one UPDATE."""

    id: int
    code: str
    citizen_national_id: str
    procedure_code: str | None
    agency_code: str | None
    procedure_name: str | None
    status: str
    status_occurred_at: datetime
    status_event_id: str
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    overdue_notified_due_at: datetime | None
    updated_at: datetime
    # (citizen_national_id, received_at, due_at) as read: the indexed columns, written only when changed.
    keys_before: tuple[Any, ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> _DossierState:
        values = row._mapping
        state = cls(
            **{
                name: bulk.read_time(values[name]) if name in bulk.TIME_COLUMNS else values[name]
                for name in bulk.STATE_COLUMNS
            }
        )
        state.keys_before = (state.citizen_national_id, state.received_at, state.due_at)
        return state

    def keys_changed(self) -> bool:
        return (self.citizen_national_id, self.received_at, self.due_at) != self.keys_before

    def keys(self, stamp: Stamp) -> dict[str, Any]:
        """The row as bulk.Statements.write_keys reads it."""
        return {
            "id": self.id,
            "citizen_national_id": self.citizen_national_id,
            "received_at": stamp(self.received_at),
            "due_at": stamp(self.due_at),
        }

    def params(self, stamp: Stamp) -> dict[str, Any]:
        """The row as bulk.Statements.write_state reads it."""
        return {
            "id": self.id,
            "procedure_code": self.procedure_code,
            "agency_code": self.agency_code,
            "procedure_name": self.procedure_name,
            "status": self.status,
            "status_occurred_at": stamp(self.status_occurred_at),
            "status_event_id": self.status_event_id,
            "completed_at": stamp(self.completed_at),
            "overdue_notified_due_at": stamp(self.overdue_notified_due_at),
            "updated_at": stamp(self.updated_at),
        }


async def _tell_owners(
    session: AsyncSession,
    applied: list[AppliedChange],
    dossiers: Iterable[_DossierState],
    due_before: dict[str, datetime | None],
    now: datetime,
    owner_of: dict[str, int | None],
) -> set[str]:
    """Outbox events, in the batch's transaction: each applied change, and new due times of late dossiers.

    Returns the codes of the dossiers it changed (their overdue marker)."""
    late_with_new_due = [
        d
        for d in dossiers
        if (before := due_before.get(d.code)) is not None
        and before < now
        and d.due_at is not None
        and d.due_at > before
        and d.status not in TERMINAL_STATUSES
    ]
    national_ids = {c.citizen_national_id for c in applied} | {
        d.citizen_national_id for d in late_with_new_due
    }
    unknown = national_ids - owner_of.keys()  # an event changed a dossier's national ID: rare
    if unknown:
        owner_of = {**owner_of, **dict.fromkeys(unknown), **await notices.owners(session, unknown)}
    items = [
        notices.status_changed(owner, change.dossier_id, change.dossier_code, change.status, change.note)
        for change in applied
        if (owner := owner_of.get(change.citizen_national_id)) is not None
    ]
    for dossier in late_with_new_due:
        # The platform moved the due time of a late dossier: the owner hears the new date (and the sweeper
        # does not also report the old due time as passed).
        dossier.overdue_notified_due_at = due_before[dossier.code]
        owner = owner_of.get(dossier.citizen_national_id)
        if owner is not None:
            assert dossier.due_at is not None
            items.append(notices.new_due_time(owner, dossier.id, dossier.code, dossier.due_at))
    await notices.tell(session, items)
    return {d.code for d in late_with_new_due}


async def sweep_overdue(session: AsyncSession, now: datetime | None = None, limit: int = 500) -> int:
    """Tell owners of dossiers that just passed their due time, once per due time; commits. Returns how many.

    The claim is one UPDATE … RETURNING, so two processes sweeping at once never tell twice.
    """
    now = now or utcnow()
    due = (
        select(Dossier.id)
        .where(
            Dossier.due_at < now,
            Dossier.status.not_in(list(TERMINAL_STATUSES)),
            or_(Dossier.overdue_notified_due_at.is_(None), Dossier.overdue_notified_due_at != Dossier.due_at),
        )
        .order_by(Dossier.due_at)
        .limit(limit)
    )
    claimed = (
        await session.execute(
            update(Dossier)
            .where(
                Dossier.id.in_(due.scalar_subquery()),
                or_(
                    Dossier.overdue_notified_due_at.is_(None),
                    Dossier.overdue_notified_due_at != Dossier.due_at,
                ),
            )
            .values(overdue_notified_due_at=Dossier.due_at)
            .returning(Dossier.id, Dossier.code, Dossier.citizen_national_id, Dossier.due_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    owner_of = await notices.owners(session, {row.citizen_national_id for row in claimed})
    await notices.tell(
        session,
        [
            notices.overdue(owner, row.id, row.code, row.due_at)
            for row in claimed
            if (owner := owner_of.get(row.citizen_national_id)) is not None
        ],
    )
    await session.commit()
    return len(claimed)


def _new_dossier_row(event: IncomingEvent, now: str | None, stamp: Stamp) -> dict[str, Any]:
    return {
        "code": event.dossier_code,
        "citizen_national_id": event.citizen_national_id,
        "procedure_code": event.procedure_code,
        "agency_code": event.agency_code,
        "procedure_name": event.procedure_name,
        "status": event.status,
        "status_occurred_at": stamp(_NEVER),
        "status_event_id": "",
        "received_at": stamp(event.received_at),
        "due_at": stamp(event.due_at),
        "created_at": now,
        "updated_at": now,
    }


def _event_row(event: IncomingEvent, dossier_id: int, now: str | None, stamp: Stamp) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "dossier_id": dossier_id,
        "status": event.status,
        "note": event.note,
        "occurred_at": stamp(event.occurred_at),
        "due_at": stamp(event.due_at),
        "ingested_at": now,
    }


def _apply(dossier: _DossierState, event: IncomingEvent, now: datetime) -> None:
    """The dossier as its latest event says; absent optional fields keep what earlier events said."""
    dossier.status = event.status
    dossier.status_occurred_at = event.occurred_at
    dossier.status_event_id = event.event_id
    dossier.citizen_national_id = event.citizen_national_id
    dossier.received_at = event.received_at
    dossier.procedure_code = event.procedure_code or dossier.procedure_code
    dossier.agency_code = event.agency_code or dossier.agency_code
    dossier.procedure_name = event.procedure_name or dossier.procedure_name
    if event.due_at is not None:
        dossier.due_at = event.due_at
    dossier.completed_at = event.occurred_at if event.status in TERMINAL_STATUSES else None
    dossier.updated_at = now


# ---------------------------------------------------------------- reads


def is_overdue(dossier: Dossier, now: datetime | None = None) -> bool:
    return (
        dossier.due_at is not None
        and dossier.due_at < (now or utcnow())
        and dossier.status not in TERMINAL_STATUSES
    )


async def _verified_national_id(session: AsyncSession, account_id: int) -> str | None:
    row = await session.execute(
        select(Account.national_id, Account.national_id_verified).where(Account.id == account_id)
    )
    found = row.first()
    return found[0] if found is not None and found[1] and found[0] else None


def _may_read_own(principal: Principal) -> None:
    if principal.account_id is None:
        raise NotAuthenticated()
    if principal.app_id is not None and not principal.has_scope("read:dossiers"):
        raise Forbidden()


async def my_dossiers(
    session: AsyncSession, principal: Principal, statuses: Sequence[str] | None, offset: int, limit: int
) -> tuple[list[Dossier], int]:
    """The signed-in person's dossiers, newest received first, and how many in all.

    Only an account whose national ID is verified has any: a typed-in ID proves nothing.
    """
    _may_read_own(principal)
    assert principal.account_id is not None
    national_id = await _verified_national_id(session, principal.account_id)
    if national_id is None:
        return [], 0
    where = [Dossier.citizen_national_id == national_id]
    if statuses:
        where.append(Dossier.status.in_(list(statuses)))
    total = await session.scalar(select(func.count()).select_from(Dossier).where(and_(*where))) or 0
    if limit == 0 or offset >= total:
        return [], total
    rows = await session.scalars(
        select(Dossier)
        .where(and_(*where))
        .order_by(Dossier.received_at.desc(), Dossier.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def own_dossiers_by_id(
    session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[Dossier]:
    """Those of the dossiers `ids` that belong to the signed-in person (two statements in all)."""
    if principal.account_id is None or not ids:
        return []
    national_id = await _verified_national_id(session, principal.account_id)
    if national_id is None:
        return []
    rows = await session.scalars(
        select(Dossier).where(Dossier.id.in_(list(ids)), Dossier.citizen_national_id == national_id)
    )
    return list(rows)


async def owner_account_id(session: AsyncSession, national_id: str) -> int | None:
    """The account a dossier belongs to: the one whose VERIFIED national ID matches."""
    return await session.scalar(
        select(Account.id)
        .where(Account.national_id == national_id, Account.national_id_verified.is_(True))
        .order_by(Account.id)
        .limit(1)
    )


async def get_dossier(session: AsyncSession, principal: Principal, dossier_id: int) -> Dossier | None:
    """A dossier for its owner; for an admin too, and then the read goes into the owner's access log.

    Anyone else gets None, as if it did not exist (a dossier code says who applied for what).
    """
    _may_read_own(principal)
    assert principal.account_id is not None
    dossier = await session.get(Dossier, dossier_id)
    if dossier is None:
        return None
    owner = await owner_account_id(session, dossier.citizen_national_id)
    if owner is not None and owner == principal.account_id:
        return dossier
    if not principal.is_admin or principal.app_id is not None:
        return None
    if owner is not None:
        record_access(session, principal, owner, "access.dossier", f"access.admin_review|{dossier.code}")
        await session.commit()
    return dossier


async def histories(session: AsyncSession, dossier_ids: Sequence[int]) -> dict[int, list[DossierEvent]]:
    """Events of many dossiers in one statement, each list sorted by occurredAt."""
    found: dict[int, list[DossierEvent]] = {i: [] for i in dossier_ids}
    rows = await session.scalars(
        select(DossierEvent)
        .where(DossierEvent.dossier_id.in_(list(dossier_ids)))
        .order_by(DossierEvent.dossier_id, DossierEvent.occurred_at, DossierEvent.event_id)
    )
    for row in rows:
        found[row.dossier_id].append(row)
    return found
