"""What a dossier owner is told, through the notifications outbox (server/notify/outbox.py).

- Every applied status change: DOSSIER_UPDATE; SUPPLEMENT_REQUESTED and RESULT_READY push with high urgency
  (the person must act, or can collect the result).
- A dossier that passes its due time: told once per due time (the sweeper claims it atomically, so several
  processes never tell twice). When the platform sends a later due time for a dossier already late, the
  owner is told the new date: the apology Decree 61/2018 requires.
Texts are message keys (server/i18n.py) rendered in the reader's language; no personal data in payloads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.identity.models import Account
from server.notify.outbox import Audience, emit

URGENT_STATUSES = frozenset({"SUPPLEMENT_REQUESTED", "RESULT_READY"})
_VIETNAM = timezone(timedelta(hours=7))


def shown_time(moment: datetime) -> str:
    """17:00 02/12/2026: how a Vietnamese office writes an appointment, in Vietnam's time."""
    return moment.astimezone(_VIETNAM).strftime("%H:%M %d/%m/%Y")


async def owners(session: AsyncSession, national_ids: Iterable[str]) -> dict[str, int]:
    """Account id by VERIFIED national ID, for many IDs in one statement."""
    wanted = sorted(set(national_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Account.national_id, Account.id)
        .where(Account.national_id.in_(wanted), Account.national_id_verified.is_(True))
        .order_by(Account.id.desc())  # should two ever be verified, the first account wins
    )
    return {nid: account_id for nid, account_id in rows.all() if nid is not None}


async def status_changed(
    session: AsyncSession, owner: int, dossier_id: int, code: str, status: str, note: str | None
) -> None:
    await emit(
        session,
        "DOSSIER_UPDATE",
        "Dossier",
        dossier_id,
        {
            "title_key": f"dossier.status.{status}",
            "params": {"code": code},
            "body": note or "",
            "status": status,
        },
        Audience(accounts=[owner], urgent=status in URGENT_STATUSES),
    )


async def overdue(session: AsyncSession, owner: int, dossier_id: int, code: str, due_at: datetime) -> None:
    await emit(
        session,
        "DOSSIER_UPDATE",
        "Dossier",
        dossier_id,
        {
            "title_key": "dossier.overdue",
            "body_key": "dossier.overdue_body",
            "params": {"code": code, "due": shown_time(due_at)},
            "change": "OVERDUE",
        },
        Audience(accounts=[owner]),
    )


async def new_due_time(
    session: AsyncSession, owner: int, dossier_id: int, code: str, due_at: datetime
) -> None:
    await emit(
        session,
        "DOSSIER_UPDATE",
        "Dossier",
        dossier_id,
        {
            "title_key": "dossier.new_due",
            "body_key": "dossier.new_due_body",
            "params": {"code": code, "due": shown_time(due_at)},
            "change": "NEW_DUE_TIME",
        },
        Audience(accounts=[owner]),
    )
