"""Builds the strawberry Schema from every domain's roots, with its extensions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from graphql_schema import places  # noqa: F401  (registers node resolvers)
from graphql_schema.apps import AppsMutation, AppsQuery
from graphql_schema.catalog import CatalogQuery
from graphql_schema.context import Info, SessionPerOperation
from graphql_schema.data_rights import DataRightsMutation
from graphql_schema.execution import HubExecutionContext
from graphql_schema.feed_cache import PublicFeedCache
from graphql_schema.feedback import FeedbackMutation, FeedbackQuery
from graphql_schema.guard import GUARD_EXTENSIONS
from graphql_schema.identity import IdentityMutation, IdentityQuery
from graphql_schema.masking import MaskUnexpectedErrors
from graphql_schema.national_identity import NationalIdentityMutation
from graphql_schema.notify import NotifyMutation, NotifyQuery, NotifySubscription
from graphql_schema.operations import OperationsQuery, OperationsSubscription
from graphql_schema.relay import NODE_RESOLVERS, Node, parse_global_id
from graphql_schema.scalars import DateTime
from graphql_schema.scopes import AppScopeGate


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetches any object by its global ID; null when it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None or not parsed[1].isdigit():
            return None
        resolver = NODE_RESOLVERS.get(parsed[0])
        return await resolver(info, int(parsed[1])) if resolver is not None else None


Query = merge_types(
    "Query",
    (
        NodeQuery,
        IdentityQuery,
        CatalogQuery,
        FeedbackQuery,
        AppsQuery,
        NotifyQuery,
        OperationsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutation,
        FeedbackMutation,
        AppsMutation,
        NotifyMutation,
        NationalIdentityMutation,
        DataRightsMutation,
    ),
)
Subscription = merge_types("Subscription", (NotifySubscription, OperationsSubscription))


def build_schema(*, development: bool = False) -> strawberry.Schema:
    """One schema per app. Extensions are classes, so each request gets fresh instances."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            *GUARD_EXTENSIONS,
            AppScopeGate,
            SessionPerOperation,
            PublicFeedCache,
            MaskUnexpectedErrors,
        ],
        config=StrawberryConfig(disable_field_suggestions=not development),
        # graphql-core's executor with a shortcut for plain leaf fields (graphql_schema/execution.py).
        execution_context_class=HubExecutionContext,
        scalar_overrides={datetime: DateTime},
    )
