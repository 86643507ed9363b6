"""Sample feedback for the demo province (server/catalog/data/demo/sample_feedback.json).

Each record becomes a report by one demo resident (who cannot sign in: no password), routed like a real
one, with a timeline that walks it to its status. Idempotent: a record's key is its index in the file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import AdministrativeUnit, FeedbackCategory
from server.catalog.service import responsible_agency_id
from server.db import utcnow
from server.feedback import sla
from server.feedback.models import Feedback, FeedbackEvent
from server.feedback.service import search_text
from server.feedback.states import EventKind, Status
from server.identity.models import Account
from server.text import nfc

DEMO_PHONE = "0900000000"
ORDER = [Status.SUBMITTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]


async def _demo_author(session: AsyncSession) -> Account:
    account = await session.scalar(select(Account).where(Account.phone == DEMO_PHONE))
    if account is None:
        account = Account(phone=DEMO_PHONE, password_hash=None, full_name="Nguyễn Thị Mẫu", role="CITIZEN")
        session.add(account)
        await session.flush()
    return account


async def load_sample_feedback(session: AsyncSession, records: list[dict[str, Any]]) -> int:
    """Create the sample reports that do not exist yet; returns how many the file holds."""
    author = await _demo_author(session)
    done = set(
        await session.scalars(select(Feedback.idempotency_key).where(Feedback.author_account_id == author.id))
    )
    categories = {c.code: c for c in await session.scalars(select(FeedbackCategory))}
    units = dict((await session.execute(select(AdministrativeUnit.code, AdministrativeUnit.id))).all())
    now = utcnow()
    for index, record in enumerate(records):
        key = f"demo-{index:03d}"
        category = categories.get(record["categoryCode"])
        if key in done or category is None:
            continue
        created = now - timedelta(days=int(record.get("daysAgo", 0)), hours=index % 7)
        unit_id = units.get(str(record.get("unitCode") or ""))
        agency_id = await responsible_agency_id(session, category.id, unit_id)
        target = Status(record.get("status", "ASSIGNED"))
        if agency_id is None and target is not Status.SUBMITTED:
            target = Status.SUBMITTED
        due = sla.due_at(created, category.sla_hours, urgent=category.urgent) if agency_id else None
        feedback = Feedback(
            title=nfc(record["title"]),
            description=nfc(record["description"]),
            category_id=category.id,
            status=target.value,
            latitude=float(record["latitude"]),
            longitude=float(record["longitude"]),
            address=nfc(record.get("address") or "") or None,
            unit_id=unit_id,
            author_account_id=author.id,
            anonymous=bool(record.get("anonymous")),
            assigned_agency_id=agency_id if target is not Status.SUBMITTED else None,
            created_at=created,
            updated_at=created,
            due_at=due if target is not Status.SUBMITTED else None,
            version=1,
            support_count=0,
            idempotency_key=key,
        )
        session.add(feedback)
        await session.flush()
        feedback.reference_code = f"PA-{created.year}-{feedback.id:06d}"
        feedback.search_text = search_text(feedback)
        events = [(EventKind.SUBMITTED, Status.SUBMITTED, None, author.id, None)]
        steps = ORDER[1 : ORDER.index(target) + 1]
        # Spread the steps over the time since submission; resolved reports meet or miss their SLA alike.
        moment = created
        for step in steps:
            moment = moment + timedelta(hours=3 if step is not Status.CLOSED else 30)
            if step is Status.ASSIGNED:
                events.append((EventKind.ASSIGNED, step, None, None, None))
            elif step is Status.IN_PROGRESS and record.get("reply"):
                events.append((EventKind.STATUS_CHANGED, step, None, None, agency_id))
                events.append((EventKind.REPLY, None, nfc(record["reply"]), None, agency_id))
            elif step is Status.RESOLVED:
                # Recently resolved, so the demo shows some waiting for the author (not auto-closed yet).
                feedback.resolved_at = min(max(moment, now - timedelta(days=2)), now)
                events.append((EventKind.STATUS_CHANGED, step, None, None, agency_id))
            elif step is Status.CLOSED:
                feedback.closed_at = min(moment, now)
                feedback.rating = 4 + index % 2
                events.append((EventKind.RATED, step, None, author.id, None))
            else:
                events.append((EventKind.STATUS_CHANGED, step, None, None, agency_id))
        feedback.version = len(events)
        feedback.updated_at = min(moment, now)
        for offset, (kind, status, message, actor, agency) in enumerate(events):
            session.add(
                FeedbackEvent(
                    feedback_id=feedback.id,
                    kind=kind.value,
                    status=status.value if status else None,
                    message=message,
                    actor_account_id=actor,
                    actor_agency_id=agency,
                    created_at=min(created + timedelta(hours=3 * offset), now),
                )
            )
    return len(records)
