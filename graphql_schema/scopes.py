"""The first gate for third-party apps: what a token's scopes let an operation select.

Only app tokens carry scopes (the hub's own sign-ins are not limited by them). Before execution, the root
fields of the operation, and the fields of `viewer`, are checked against the scope each needs. A field
not listed is public (`read:public`) when it is a query field, and closed to apps when it is a mutation or
subscription field. Public fields are open to every app token: anyone may read them without a token at
all, so withholding them from a token without `read:public` would protect nothing. Services still check
permission on every read of personal data: this gate only keeps an app inside what the resident consented
to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql import OperationType as NodeOperation
from strawberry.extensions import SchemaExtension

PUBLIC = "read:public"
CLOSED = ""  # never for apps

# (parent type, field) -> scope it needs from an app token.
FIELD_SCOPES: dict[tuple[str, str], str] = {
    ("Query", "viewer"): "read:profile",
    ("Viewer", "account"): "read:profile",
    ("Viewer", "dataAccessLog"): "read:profile",
    ("Viewer", "feedbacks"): "read:feedback",
    ("Viewer", "followedFeedbacks"): "read:feedback",
    ("Viewer", "assignedFeedbacks"): "read:feedback",
    ("Viewer", "notifications"): "read:notifications",
    ("Viewer", "unreadNotificationCount"): "read:notifications",
    ("Viewer", "dossiers"): "read:dossiers",
    ("Viewer", "connectedApps"): CLOSED,
    ("Mutation", "submitFeedback"): "write:feedback",
    ("Mutation", "supportFeedback"): "write:feedback",
    ("Mutation", "followFeedback"): "write:feedback",
    ("Mutation", "rateFeedback"): "write:feedback",
    ("Mutation", "reopenFeedback"): "write:feedback",
    ("Mutation", "markNotificationsRead"): "read:notifications",
    ("Mutation", "subscribeWebhook"): PUBLIC,
    ("Mutation", "unsubscribeWebhook"): PUBLIC,
    ("Subscription", "notificationReceived"): "read:notifications",
    ("Subscription", "feedbackUpdated"): PUBLIC,
}
ROOT_NAMES = {
    NodeOperation.QUERY: "Query",
    NodeOperation.MUTATION: "Mutation",
    NodeOperation.SUBSCRIPTION: "Subscription",
}


def needed_scope(parent: str, field: str) -> str:
    if field.startswith("__"):
        return PUBLIC
    default = PUBLIC if parent in ("Query", "Viewer") else CLOSED
    return FIELD_SCOPES.get((parent, field), default)


def _fields(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        else:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def missing_scopes(
    operation: NodeOperation,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    scopes: frozenset[str],
) -> list[str]:
    """The (parent.field, scope) an app token lacks for this operation, as messages."""
    problems: list[str] = []
    root = ROOT_NAMES[operation]
    for field in _fields(selection_set, fragments):
        name = field.name.value
        scope = needed_scope(root, name)
        if scope != PUBLIC and scope not in scopes:
            problems.append(
                f"{root}.{name} " + (f"needs the scope {scope}" if scope else "is not open to apps")
            )
        if root == "Query" and name == "viewer":
            for sub in _fields(field.selection_set, fragments):
                scope = needed_scope("Viewer", sub.name.value)
                if scope != PUBLIC and scope not in scopes:
                    problems.append(
                        f"Viewer.{sub.name.value} "
                        + (f"needs the scope {scope}" if scope else "is not open to apps")
                    )
    return problems


class AppScopeGate(SchemaExtension):
    """Refuses, before execution, an app's operation that selects beyond the token's scopes."""

    def on_execute(self):  # type: ignore[override]
        ctx = self.execution_context
        principal = getattr(ctx.context, "principal", None)
        scopes = getattr(principal, "scopes", None)
        document = ctx.graphql_document
        if scopes is not None and document is not None and ctx.result is None:
            fragments = {
                d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            operation = self.execution_context.operation_name
            for definition in document.definitions:
                if definition.__class__.__name__ != "OperationDefinitionNode":
                    continue
                if operation and (definition.name is None or definition.name.value != operation):
                    continue
                problems = missing_scopes(definition.operation, definition.selection_set, fragments, scopes)
                if problems:
                    message = "This app's token does not allow: " + "; ".join(problems) + "."
                    ctx.result = ExecutionResult(
                        data=None, errors=[GraphQLError(message, extensions={"code": "FORBIDDEN"})]
                    )
        yield
