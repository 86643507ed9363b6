"""What the feedback service emits to the outbox (one call per change, inside its transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.identity.principal import Principal
from server.notify.outbox import Audience, NotificationKind, emit


def _payload(feedback: Any, change: str, status: str | None) -> dict[str, Any]:
    # The reference code and title are public; nothing about the author goes into the payload.
    return {"change": change, "reference": feedback.reference_code, "title": feedback.title, "status": status}


async def feedback_changed(
    session: AsyncSession, principal: Principal, feedback: Any, change: str, status: str | None
) -> None:
    """A status change, a reply or a rating: the author, followers and supporters hear of it.

    A reopening also goes to the cadres of the assigned agency ("the agency is told").
    """
    agencies = (
        [feedback.assigned_agency_id]
        if change in ("REOPENED", "RATED") and feedback.assigned_agency_id
        else []
    )
    await emit(
        session,
        NotificationKind.FEEDBACK_UPDATE,
        "Feedback",
        feedback.id,
        _payload(feedback, change, status),
        Audience(
            feedback=feedback.id if change != "RATED" else None,
            agency_cadres=agencies,
            exclude=[principal.account_id] if principal.account_id else [],
        ),
    )


async def feedback_assigned(
    session: AsyncSession, principal: Principal, feedback: Any, agency_id: int
) -> None:
    """A new assignment: the cadres of that agency hear of it."""
    await emit(
        session,
        NotificationKind.FEEDBACK_UPDATE,
        "Feedback",
        feedback.id,
        _payload(feedback, "ASSIGNED", "ASSIGNED"),
        Audience(agency_cadres=[agency_id], exclude=[principal.account_id] if principal.account_id else []),
    )


async def feedback_support_changed(session: AsyncSession, feedback_id: int) -> None:
    """The support count changed: nobody is notified, but feedbackUpdated subscribers see the new count."""
    await emit(
        session, NotificationKind.FEEDBACK_UPDATE, "Feedback", feedback_id, {"change": "SUPPORT"}, Audience()
    )


async def feedback_closed_after_wait(session: AsyncSession, feedback_id: int) -> None:
    """The sweep closed a feedback left RESOLVED for the waiting time: its audience hears of it."""
    from sqlalchemy import select

    from server.feedback.models import Feedback

    row = (
        await session.execute(
            select(Feedback.id, Feedback.reference_code, Feedback.title, Feedback.assigned_agency_id).where(
                Feedback.id == feedback_id
            )
        )
    ).first()
    if row is not None:
        await feedback_changed(session, Principal(), row, "STATUS_CHANGED", "CLOSED")
