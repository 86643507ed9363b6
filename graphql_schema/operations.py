"""The operations centre as GraphQL: operationsEvents (admins) and feedbackBreakdown (aggregates)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.catalog import FeedbackCategory, load_category
from graphql_schema.context import Info
from graphql_schema.places import AdministrativeUnit, Agency, load_agency, load_unit
from graphql_schema.relay import to_global_id
from server.operations import stats
from server.operations.feed import OperationsItem, operations_feed


@strawberry.enum(description="What happened, as the operations centre's wall shows it.")
class OperationsEventKind(Enum):
    FEEDBACK_SUBMITTED = "FEEDBACK_SUBMITTED"
    FEEDBACK_STATUS_CHANGED = "FEEDBACK_STATUS_CHANGED"
    FEEDBACK_OVERDUE = "FEEDBACK_OVERDUE"
    DOSSIER_STATUS_CHANGED = "DOSSIER_STATUS_CHANGED"
    DOSSIER_OVERDUE = "DOSSIER_OVERDUE"
    EMERGENCY_ANNOUNCEMENT = "EMERGENCY_ANNOUNCEMENT"


@strawberry.type(description="One thing that happened in the province, for the operations centre.")
class OperationsEvent:
    kind: OperationsEventKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When.")
    subject_id: strawberry.ID = strawberry.field(
        description="Global ID of the feedback, dossier or announcement (dossiers: readable by their owner; "
        "an admin's read of one is logged for the owner)."
    )
    reference: str = strawberry.field(
        description="Feedback reference code, dossier code, or announcement title."
    )
    title: str = strawberry.field(
        description="Feedback title, the dossier's procedure, or the announcement's text."
    )
    status: str | None = strawberry.field(
        description="The status reached (FeedbackStatus or DossierStatus name), or the severity."
    )
    agency_pk: strawberry.Private[int | None]
    unit_pk: strawberry.Private[int | None]

    @strawberry.field(description="The agency concerned, when known.")
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info.context, self.agency_pk) if self.agency_pk is not None else None

    @strawberry.field(description="The ward or commune, for feedback.")
    async def unit(self, info: Info) -> AdministrativeUnit | None:
        return await load_unit(info.context, self.unit_pk) if self.unit_pk is not None else None

    @classmethod
    def from_item(cls, item: OperationsItem) -> OperationsEvent:
        return cls(
            kind=OperationsEventKind(item.kind),
            occurred_at=item.occurred_at,
            subject_id=strawberry.ID(to_global_id(item.subject_type, item.subject_id)),
            reference=item.reference,
            title=item.title,
            status=item.status,
            agency_pk=item.agency_id,
            unit_pk=item.unit_id,
        )


@strawberry.enum(description="What to break feedback counts down by.")
class FeedbackBreakdownDimension(Enum):
    UNIT = "UNIT"
    CATEGORY = "CATEGORY"


@strawberry.type(description="Feedback counts of one unit and/or category over the asked time window.")
class FeedbackBreakdownRow:
    total: int = strawberry.field(description="Feedback created in the window (duplicates not counted).")
    open: int = strawberry.field(description="Of those, still submitted, assigned or in progress.")
    overdue: int = strawberry.field(description="Of the open ones, past their due time now.")
    resolved: int = strawberry.field(description="Of those, resolved or closed.")
    resolved_on_time: int = strawberry.field(description="Of the resolved ones, resolved in time.")
    unit_pk: strawberry.Private[int | None]
    category_pk: strawberry.Private[int | None]

    @strawberry.field(description="The ward or commune; null when not broken down by unit, or unknown.")
    async def unit(self, info: Info) -> AdministrativeUnit | None:
        return await load_unit(info.context, self.unit_pk) if self.unit_pk is not None else None

    @strawberry.field(description="The category; null when not broken down by category.")
    async def category(self, info: Info) -> FeedbackCategory | None:
        return await load_category(info.context, self.category_pk) if self.category_pk is not None else None


@strawberry.type
class OperationsQuery:
    @strawberry.field(
        description="Feedback counts by unit and/or category over a time window [since, until) (default: the "
        "last 30 days), largest first: the operations centre's wall. Aggregates only."
    )
    async def feedback_breakdown(
        self,
        info: Info,
        by: list[FeedbackBreakdownDimension] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[FeedbackBreakdownRow]:
        dims = set(by) if by else {FeedbackBreakdownDimension.UNIT, FeedbackBreakdownDimension.CATEGORY}
        rows = await stats.feedback_breakdown(
            info.context.session,
            FeedbackBreakdownDimension.UNIT in dims,
            FeedbackBreakdownDimension.CATEGORY in dims,
            since,
            until,
        )
        return [
            FeedbackBreakdownRow(
                total=r.total,
                open=r.open,
                overdue=r.overdue,
                resolved=r.resolved,
                resolved_on_time=r.resolved_on_time,
                unit_pk=r.unit_id,
                category_pk=r.category_id,
            )
            for r in rows
        ]


@strawberry.type
class OperationsSubscription:
    @strawberry.subscription(
        description="For admins: new feedback, status changes of feedback and dossiers, feedback and "
        "dossiers passing their due time, and emergency announcements, as they happen (the operations "
        "centre's feed). Others are closed with 4403 (4401 without a token)."
    )
    async def operations_events(self, info: Info) -> AsyncGenerator[OperationsEvent, None]:
        from graphql_schema.notify import _close, _next

        ctx = info.context
        if ctx.principal.account_id is None:
            await _close(ctx, 4401, "Unauthorized")
            return
        if not ctx.principal.is_admin or ctx.principal.app_id is not None:
            await _close(ctx, 4403, "Forbidden")
            return
        feed = operations_feed(ctx.hub)
        with feed.subscribe() as queue:
            await feed.ready()
            while (item := await _next(ctx, queue)) is not None:
                yield OperationsEvent.from_item(item)
