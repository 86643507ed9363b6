"""The data access log as GraphQL: the signed-in person reads who looked at their personal data, and why."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from graphql_schema.context import Context
from graphql_schema.identity import PublicProfile
from graphql_schema.relay import (
    PageInfo,
    decode_offset_cursor,
    encode_offset_cursor,
    offset_page_info,
    page_size,
)
from server.errors import NotAuthenticated
from server.i18n import translate
from server.identity.models import Account
from server.identity.principal import Role
from server.privacy import service


@strawberry.type(description="One read of a person's personal data by someone else.")
class DataAccessEvent:
    occurred_at: datetime = strawberry.field(description="When it was read.")
    accessor: PublicProfile = strawberry.field(description="Who read it, with their agency.")
    what: str = strawberry.field(description='What was read, e.g. "contact details".')
    purpose: str = strawberry.field(description='Why, e.g. "handling feedback PA-2026-000123".')


@strawberry.type(description="A data access event in a page.")
class DataAccessEventEdge:
    node: DataAccessEvent = strawberry.field(description="The event.")
    cursor: str = strawberry.field(description="Pass as `after` to get what follows.")


@strawberry.type(description="A page of the data access log, newest first.")
class DataAccessEventConnection:
    edges: list[DataAccessEventEdge] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    total_count: int = strawberry.field(description="How many events in all.")


def _text(stored: str, ctx: Context) -> str:
    """Stored as a message key, optionally with one argument after '|', shown in the reader's language."""
    key, _, arg = stored.partition("|")
    return translate(key, ctx.language, {"ref": arg} if arg else None)


async def viewer_data_access_log(
    ctx: Context, first: int | None, after: str | None
) -> DataAccessEventConnection:
    if ctx.principal.account_id is None:
        raise NotAuthenticated()
    limit = page_size(first)
    start = decode_offset_cursor(after) + 1
    rows, total = await service.access_log(ctx.session, ctx.principal, start, limit)
    accessor_ids = {r.accessor_account_id for r in rows if r.accessor_account_id is not None}
    accounts = (
        {a.id: a for a in await ctx.session.scalars(select(Account).where(Account.id.in_(accessor_ids)))}
        if accessor_ids
        else {}
    )
    edges = []
    for i, row in enumerate(rows):
        account = accounts.get(row.accessor_account_id) if row.accessor_account_id is not None else None
        profile = PublicProfile(
            display_name=account.full_name if account else "",
            role=Role(account.role) if account else Role.ADMIN,
            agency_pk=row.accessor_agency_id,
        )
        node = DataAccessEvent(
            occurred_at=row.occurred_at,
            accessor=profile,
            what=_text(row.what, ctx),
            purpose=_text(row.purpose, ctx),
        )
        edges.append(DataAccessEventEdge(node=node, cursor=encode_offset_cursor(start + i)))
    return DataAccessEventConnection(
        edges=edges,
        page_info=offset_page_info(start, edges, total),
        total_count=total,
    )
