"""Write and read the data access log. There is deliberately no update or delete here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.identity.principal import Principal
from server.privacy.models import DataAccessEvent


def record_access(
    session: AsyncSession, principal: Principal, owner_account_id: int, what: str, purpose: str
) -> None:
    """Add (in the caller's transaction) that `principal` read `what` of the owner's data, and why."""
    session.add(
        DataAccessEvent(
            owner_account_id=owner_account_id,
            accessor_account_id=principal.account_id,
            accessor_agency_id=principal.agency_id,
            what=what,
            purpose=purpose,
        )
    )


async def access_log(
    session: AsyncSession, principal: Principal, offset: int, limit: int
) -> tuple[list[DataAccessEvent], int]:
    """The signed-in person's own log, newest first, and its total size."""
    if principal.account_id is None:
        return [], 0
    mine = DataAccessEvent.owner_account_id == principal.account_id
    total = await session.scalar(select(func.count()).select_from(DataAccessEvent).where(mine)) or 0
    rows = await session.scalars(
        select(DataAccessEvent)
        .where(mine)
        .order_by(DataAccessEvent.occurred_at.desc(), DataAccessEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total
