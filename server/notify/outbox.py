"""The outbox: how a service says "this change should reach people".

Usage, inside a service, in the same transaction as the change (emit never commits):

    from server.notify.outbox import Audience, emit

    await emit(session, "FEEDBACK_UPDATE", "Feedback", feedback.id,
               {"change": "REPLY", "reference": feedback.reference_code, "title": feedback.title},
               Audience(feedback=feedback.id, exclude=[principal.account_id]))
    await session.commit()

- `kind` is a NotificationKind name (FEEDBACK_UPDATE, DOSSIER_UPDATE, ANNOUNCEMENT, SYSTEM); the set is
  open: a new kind needs texts in server/notify/texts.py and nothing else.
- `subject_type`/`subject_id` name the GraphQL node the notification is about (Notification.subject).
- `payload` holds what the texts are made of (see texts.py); keep personal data out of it.
- `Audience` says who hears of it; it is resolved when the event is dispatched (server/notify/audience.py).

The dispatcher (server/notify/dispatcher.py) turns committed events into notifications and delivers them.
When the transaction commits, emit() wakes this process's dispatcher so delivery does not wait for a poll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import utcnow
from server.notify.models import OutboxEvent


class NotificationKind(Enum):
    FEEDBACK_UPDATE = "FEEDBACK_UPDATE"
    DOSSIER_UPDATE = "DOSSIER_UPDATE"
    ANNOUNCEMENT = "ANNOUNCEMENT"
    SYSTEM = "SYSTEM"


@dataclass
class Audience:
    """Who should hear of an event; the union of every part, minus `exclude`."""

    accounts: list[int] = field(default_factory=list)
    # Every cadre of these agencies.
    agency_cadres: list[int] = field(default_factory=list)
    # The author, followers and supporters of this feedback.
    feedback: int | None = None
    # Residents whose home unit lies in one of these units or below; see `province`.
    units: list[int] = field(default_factory=list)
    # Every account of the hub (an announcement to the whole province).
    province: bool = False
    # Typically the actor: nobody is told about what they did themselves.
    exclude: list[int] = field(default_factory=list)
    # Push with high urgency and whatever the recipient's preferences say (EMERGENCY warnings).
    urgent: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts": sorted(set(self.accounts)),
            "agency_cadres": sorted(set(self.agency_cadres)),
            "feedback": self.feedback,
            "units": sorted(set(self.units)),
            "province": self.province,
            "exclude": sorted({a for a in self.exclude if a is not None}),
            "urgent": self.urgent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            accounts=list(data.get("accounts") or []),
            agency_cadres=list(data.get("agency_cadres") or []),
            feedback=data.get("feedback"),
            units=list(data.get("units") or []),
            province=bool(data.get("province")),
            exclude=list(data.get("exclude") or []),
            urgent=bool(data.get("urgent")),
        )


# Called after a transaction that emitted events commits: each process's dispatcher registers here.
_wakers: set[Callable[[], None]] = set()


def register_waker(wake: Callable[[], None]) -> Callable[[], None]:
    _wakers.add(wake)
    return lambda: _wakers.discard(wake)


def _wake_all(_session: Any) -> None:
    for wake in list(_wakers):
        wake()


async def emit(
    session: AsyncSession,
    kind: str | NotificationKind,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any],
    recipients_hint: Audience | Iterable[int] | None = None,
) -> OutboxEvent:
    """Add an outbox event to the session's transaction. The caller commits (or rolls back) as usual.

    `recipients_hint` is an Audience, or simply account ids.
    """
    audience = (
        recipients_hint
        if isinstance(recipients_hint, Audience)
        else Audience(accounts=list(recipients_hint or []))
    )
    row = OutboxEvent(
        kind=kind.value if isinstance(kind, NotificationKind) else NotificationKind(kind).value,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=dict(payload),
        audience=audience.to_json(),
        created_at=utcnow(),
    )
    session.add(row)
    if not session.info.get("notify_wake"):
        # Stays for the session's life: a later commit without events only wakes an idle dispatcher.
        session.info["notify_wake"] = True
        sa_event.listen(session.sync_session, "after_commit", _wake_all)
    return row


# (kind, subject_type, subject_id, payload, recipients_hint): the arguments of one emit() call.
OutboxItem = tuple[str | NotificationKind, str, int, dict[str, Any], Audience | Iterable[int] | None]


async def emit_many(
    session: AsyncSession,
    events: Iterable[OutboxItem],
) -> int:
    """emit() for many events at once, as (kind, subject_type, subject_id, payload, recipients_hint).

    One executemany INSERT, no ORM objects and no RETURNING: for producers that write hundreds of events
    in one transaction (the LGSP dossier webhook). Returns how many were added; the caller commits.
    """
    now = utcnow()
    rows = []
    for kind, subject_type, subject_id, payload, hint in events:
        audience = hint if isinstance(hint, Audience) else Audience(accounts=list(hint or []))
        rows.append(
            {
                "kind": kind.value if isinstance(kind, NotificationKind) else NotificationKind(kind).value,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "payload": dict(payload),
                "audience": audience.to_json(),
                "created_at": now,
            }
        )
    if rows:
        await session.execute(insert(OutboxEvent.__table__), rows)
        if not session.info.get("notify_wake"):
            session.info["notify_wake"] = True
            sa_event.listen(session.sync_session, "after_commit", _wake_all)
    return len(rows)


# emit_bulk: the outbox rows of a batch as ONE JSON parameter the database unpacks, so the statement costs
# about the same for 2 rows or 100 (executemany processes every value in Python). Timestamps as each
# database keeps them: naive UTC text on SQLite (SQLAlchemy's DATETIME format), timestamptz on PostgreSQL.
_BULK_COLUMNS = "kind, subject_type, subject_id, payload, audience, created_at"
_BULK_SQL = {
    "sqlite": "INSERT INTO outbox_events ({c}) SELECT "
    + ", ".join(f"json_extract(r.value, '$.{name}')" for name in _BULK_COLUMNS.split(", "))
    + " FROM json_each(:rows) AS r",
    "postgresql": "INSERT INTO outbox_events ({c}) SELECT {c} FROM json_to_recordset(CAST(:rows AS json)) "
    "AS r(kind text, subject_type text, subject_id integer, payload json, audience json, "
    "created_at timestamptz)",
}


async def emit_bulk(session: AsyncSession, events: Iterable[OutboxItem]) -> int:
    """emit_many() in one statement with one parameter (the LGSP webhook's hundreds of events a batch).

    Same rows as emit() writes; returns how many were added; the caller commits."""
    import orjson
    from sqlalchemy import text

    dialect = session.bind.dialect.name
    if dialect not in _BULK_SQL:  # pragma: no cover - only the two supported databases
        return await emit_many(session, events)
    now = utcnow()
    created = (
        now.replace(tzinfo=None).isoformat(" ", "microseconds") if dialect == "sqlite" else now.isoformat()
    )
    rows = [
        {
            "kind": kind.value if isinstance(kind, NotificationKind) else NotificationKind(kind).value,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "payload": payload,
            "audience": (
                hint if isinstance(hint, Audience) else Audience(accounts=list(hint or []))
            ).to_json(),
            "created_at": created,
        }
        for kind, subject_type, subject_id, payload, hint in events
    ]
    if rows:
        statement = text(_BULK_SQL[dialect].format(c=_BULK_COLUMNS))
        # On the session's connection: no ORM result handling for a plain INSERT.
        await (await session.connection()).execute(statement, {"rows": orjson.dumps(rows).decode()})
        if not session.info.get("notify_wake"):
            session.info["notify_wake"] = True
            sa_event.listen(session.sync_session, "after_commit", _wake_all)
    return len(rows)
