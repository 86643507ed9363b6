"""E-government records as GraphQL: the viewer's dossiers and node(id). Thin: the rules are in the service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import select

from graphql_schema.catalog import Procedure
from graphql_schema.context import Context, Info
from graphql_schema.places import Agency
from graphql_schema.relay import (
    Node,
    PageInfo,
    decode_offset_cursor,
    encode_offset_cursor,
    node_resolver,
    offset_page_info,
    page_size,
    to_global_id,
)
from server.catalog import models as catalog
from server.records import models, service


@strawberry.enum(description="Where a dossier stands in the one-stop-shop system.")
class DossierStatus(Enum):
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED"
    RESULT_READY = "RESULT_READY"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


@strawberry.type(description="One status change of a dossier, as the provincial platform reported it.")
class DossierEvent:
    status: DossierStatus = strawberry.field(description="The status the dossier went to.")
    note: str | None = strawberry.field(description="The agency's note, if any.")
    occurred_at: datetime = strawberry.field(description="When it happened at the agency.")


@strawberry.type(description="An administrative dossier (hồ sơ) from the one-stop shop.")
class Dossier(Node):
    id: strawberry.ID = strawberry.field(description="Globally unique ID.")
    code: str = strawberry.field(description="Code given by the one-stop-shop system.")
    status: DossierStatus = strawberry.field(description="Status of the latest event (by occurredAt).")
    received_at: datetime = strawberry.field(description="When the agency received the dossier.")
    due_at: datetime | None = strawberry.field(description="When the result is promised, if known.")
    completed_at: datetime | None = strawberry.field(
        description="When it reached COMPLETED, REJECTED or WITHDRAWN; null before."
    )
    is_overdue: bool = strawberry.field(
        description="True when dueAt has passed and it is not completed, rejected or withdrawn."
    )
    pk: strawberry.Private[int]
    procedure_code: strawberry.Private[str | None]
    agency_code: strawberry.Private[str | None]
    stored_procedure_name: strawberry.Private[str | None]

    @strawberry.field(description="The catalogue's procedure, when the platform's code is in the catalogue.")
    async def procedure(self, info: Info) -> Procedure | None:
        row = await _procedure_by_code(info.context, self.procedure_code)
        return Procedure.from_model(row, info.context.language) if row is not None else None

    @strawberry.field(
        description="The procedure's name: the catalogue's, else as the platform named it, else its code."
    )
    async def procedure_name(self, info: Info) -> str:
        row = await _procedure_by_code(info.context, self.procedure_code)
        if row is not None:
            return Procedure.from_model(row, info.context.language).name
        return self.stored_procedure_name or self.procedure_code or ""

    @strawberry.field(description="The agency handling it, when the platform's code is in the catalogue.")
    async def agency(self, info: Info) -> Agency | None:
        if not self.agency_code:
            return None
        loader = info.context.loader("agency_by_code", _by_code(info.context, catalog.Agency))
        row = await loader.load(self.agency_code)
        return Agency.from_model(row, info.context.language) if row is not None else None

    @strawberry.field(
        description="Every status event, oldest first by occurredAt, whatever the arrival order."
    )
    async def history(self, info: Info) -> list[DossierEvent]:
        ctx = info.context

        async def load(ids: Sequence[int]) -> list[list[models.DossierEvent]]:
            found = await service.histories(ctx.session, ids)
            return [found[i] for i in ids]

        rows = await ctx.loader("dossier_history", load).load(self.pk)
        return [
            DossierEvent(status=DossierStatus(r.status), note=r.note, occurred_at=r.occurred_at) for r in rows
        ]

    @classmethod
    def from_model(cls, dossier: models.Dossier) -> Dossier:
        return cls(
            id=strawberry.ID(to_global_id("Dossier", dossier.id)),
            code=dossier.code,
            status=DossierStatus(dossier.status),
            received_at=dossier.received_at,
            due_at=dossier.due_at,
            completed_at=dossier.completed_at,
            is_overdue=service.is_overdue(dossier),
            pk=dossier.id,
            procedure_code=dossier.procedure_code,
            agency_code=dossier.agency_code,
            stored_procedure_name=dossier.procedure_name,
        )


def _by_code(ctx: Context, model: type):  # type: ignore[no-untyped-def]
    async def load(codes: Sequence[str]) -> list[object | None]:
        rows = await ctx.session.scalars(select(model).where(model.code.in_(list(codes))))  # type: ignore[attr-defined]
        found = {row.code: row for row in rows}
        return [found.get(c) for c in codes]

    return load


async def _procedure_by_code(ctx: Context, code: str | None) -> catalog.Procedure | None:
    if not code:
        return None
    return await ctx.loader("procedure_by_code", _by_code(ctx, catalog.Procedure)).load(code)


@strawberry.type(description="A dossier in a page.")
class DossierEdge:
    node: Dossier = strawberry.field(description="The dossier.")
    cursor: str = strawberry.field(description="Pass as `after` to get what follows.")


@strawberry.type(description="A page of dossiers, newest received first.")
class DossierConnection:
    edges: list[DossierEdge] = strawberry.field(description="The dossiers of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total_count: int = strawberry.field(description="How many dossiers match in all.")


async def viewer_dossiers(
    ctx: Context, status: list[DossierStatus] | None, first: int | None, after: str | None
) -> DossierConnection:
    limit = page_size(first)
    start = decode_offset_cursor(after) + 1
    statuses = [s.value for s in status] if status else None
    rows, total = await service.my_dossiers(ctx.session, ctx.principal, statuses, start, limit)
    edges = [
        DossierEdge(node=Dossier.from_model(row), cursor=encode_offset_cursor(start + i))
        for i, row in enumerate(rows)
    ]
    return DossierConnection(
        edges=edges,
        page_info=offset_page_info(start, edges, total),
        total_count=total,
    )


async def dossier_subjects(ctx: Context, ids: list[int]) -> dict[int, Dossier]:
    """Dossiers that notifications are about, in one statement; only the viewer's own."""
    rows = await service.own_dossiers_by_id(ctx.session, ctx.principal, ids)
    return {row.id: Dossier.from_model(row) for row in rows}


def _register_notification_subjects() -> None:
    # The inbox (graphql_schema/notify.py) batches subjects by type: dossiers join without N+1.
    from graphql_schema import notify

    notify.SUBJECT_BATCHES.setdefault("Dossier", dossier_subjects)


_register_notification_subjects()


@node_resolver("Dossier")
async def _dossier_node(info: Info, pk: int) -> Dossier | None:
    dossier = await service.get_dossier(info.context.session, info.context.principal, pk)
    return Dossier.from_model(dossier) if dossier is not None else None
