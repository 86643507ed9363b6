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
from server.notify.outbox import Audience, OutboxItem, emit_bulk

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


def status_changed(owner: int, dossier_id: int, code: str, status: str, note: str | None) -> OutboxItem:
    payload = {
        "title_key": f"dossier.status.{status}",
        "params": {"code": code},
        "body": note or "",
        "status": status,
    }
    return (
        "DOSSIER_UPDATE",
        "Dossier",
        dossier_id,
        payload,
        Audience(accounts=[owner], urgent=status in URGENT_STATUSES),
    )


def overdue(owner: int, dossier_id: int, code: str, due_at: datetime) -> OutboxItem:
    payload = {
        "title_key": "dossier.overdue",
        "body_key": "dossier.overdue_body",
        "params": {"code": code, "due": shown_time(due_at)},
        "change": "OVERDUE",
    }
    return ("DOSSIER_UPDATE", "Dossier", dossier_id, payload, Audience(accounts=[owner]))


def new_due_time(owner: int, dossier_id: int, code: str, due_at: datetime) -> OutboxItem:
    payload = {
        "title_key": "dossier.new_due",
        "body_key": "dossier.new_due_body",
        "params": {"code": code, "due": shown_time(due_at)},
        "change": "NEW_DUE_TIME",
    }
    return ("DOSSIER_UPDATE", "Dossier", dossier_id, payload, Audience(accounts=[owner]))


async def tell(session: AsyncSession, items: list[OutboxItem]) -> None:
    """Add the items to the outbox in the caller's transaction: one statement, however many."""
    await emit_bulk(session, items)
