"""Turn an event's Audience into account ids, at dispatch time (a constant number of statements)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit
from server.identity.models import Account
from server.notify.outbox import Audience


async def unit_and_descendants(session: AsyncSession, unit_ids: Iterable[int]) -> set[int]:
    """The units and every unit below them. The tree is small (a province), so it is read whole."""
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent in (
        await session.execute(select(AdministrativeUnit.id, AdministrativeUnit.parent_id))
    ).all():
        if parent is not None:
            children[parent].append(pk)
    found: set[int] = set()
    stack = list(unit_ids)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, ()))
    return found


async def unit_and_ancestors(session: AsyncSession, unit_id: int) -> set[int]:
    parents = dict((await session.execute(select(AdministrativeUnit.id, AdministrativeUnit.parent_id))).all())
    found: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in found and current in parents:
        found.add(current)
        current = parents[current]
    return found


async def _feedback_audience(session: AsyncSession, feedback_id: int) -> set[int]:
    # Imported here: the notify package must not need the feedback domain to load.
    from server.feedback.models import Feedback, FeedbackFollow, FeedbackSupport

    query = union(
        select(Feedback.author_account_id).where(
            Feedback.id == feedback_id, Feedback.author_account_id.is_not(None)
        ),
        select(FeedbackFollow.account_id).where(FeedbackFollow.feedback_id == feedback_id),
        select(FeedbackSupport.account_id).where(FeedbackSupport.feedback_id == feedback_id),
    )
    return {pk for (pk,) in (await session.execute(query)).all() if pk is not None}


async def resolve(session: AsyncSession, audience: Audience) -> set[int]:
    recipients: set[int] = set()
    if audience.accounts:
        # Only accounts that exist (a hint may name one deleted meanwhile).
        recipients = set(await session.scalars(select(Account.id).where(Account.id.in_(audience.accounts))))
    if audience.agency_cadres:
        recipients |= set(
            await session.scalars(
                select(Account.id).where(
                    Account.role == "CADRE", Account.agency_id.in_(audience.agency_cadres)
                )
            )
        )
    if audience.feedback is not None:
        recipients |= await _feedback_audience(session, audience.feedback)
    if audience.province:
        recipients |= set(await session.scalars(select(Account.id)))
    elif audience.units:
        area = await unit_and_descendants(session, audience.units)
        recipients |= set(await session.scalars(select(Account.id).where(Account.home_unit_id.in_(area))))
    return recipients - set(audience.exclude)
