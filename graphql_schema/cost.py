"""Query cost, computed before execution, and the rate limit that spends it.

Cost: every field costs 1; a field with a `first` argument (a connection or page) multiplies the cost
of what it selects by `first` (relay.DEFAULT_PAGE when the query leaves it out), as GitHub does; each
root mutation field costs `mutation_cost` instead of 1. An operation above `max_cost` is refused
(QUERY_TOO_COMPLEX). Otherwise its cost is taken from the principal's token bucket; when the bucket
holds too little, the operation is refused with HTTP 429, Retry-After and code THROTTLED.

A document refused before execution (syntax, validation, limits) is charged 1 point: parsing and
validating it was work too. Every response carries extensions.cost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql import OperationType as NodeOperation
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_schema.limits import _guard, limit_error
from graphql_schema.relay import DEFAULT_PAGE
from server.ratelimit import BucketState, bucket_key

_META_FIELDS = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
    "__typename": TypeNameMetaFieldDef,
}


class _Coster:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        defaults: Mapping[str, Any],
    ) -> None:
        self.schema, self.fragments, self.variables, self.defaults = schema, fragments, variables, defaults

    def page(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                name = value.name.value
                given = self.variables.get(name, self.defaults.get(name))
                return given if isinstance(given, int) and not isinstance(given, bool) else DEFAULT_PAGE
        return DEFAULT_PAGE

    def selection(self, parent: Any, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        if selection_set is None or parent is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(target, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selection(target, fragment.selection_set, seen | {name})
        return total

    def field(self, parent: Any, node: FieldNode, seen: frozenset[str], own: int = 1) -> int:
        name = node.name.value
        definition = _META_FIELDS.get(name) or getattr(parent, "fields", {}).get(name)
        if definition is None:
            return own
        children = self.selection(get_named_type(definition.type), node.selection_set, seen)
        multiplier = max(0, self.page(node)) if "first" in definition.args else 1
        return own + multiplier * children


def query_cost(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    mutation_cost: int,
) -> int:
    """The cost of the operation of `document` that would run; at least 1."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation = next(
        (
            o
            for o in operations
            if operation_name is None or (o.name is not None and o.name.value == operation_name)
        ),
        None,
    )
    if operation is None:
        return 1
    defaults = {
        v.variable.name.value: int(v.default_value.value)
        for v in operation.variable_definitions or ()
        if isinstance(v.default_value, IntValueNode)
    }
    coster = _Coster(schema, fragments, variables or {}, defaults)
    root = schema.get_root_type(operation.operation)
    if operation.operation is NodeOperation.MUTATION:
        total = sum(
            coster.field(root, s, frozenset(), own=mutation_cost)
            if isinstance(s, FieldNode)
            else coster.selection(root, SelectionSetNode(selections=(s,)), frozenset())
            for s in operation.selection_set.selections
        )
    else:
        total = coster.selection(root, operation.selection_set, frozenset())
    return max(1, total)


class CostAndRateLimit(SchemaExtension):
    requested: int | None = None
    charged = 0
    state: BucketState | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        guard = _guard(ctx)
        if guard is None or ctx.operation_type is OperationType.SUBSCRIPTION:
            yield
            return
        limits = guard.limits
        self.requested = cost = query_cost(
            ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables, limits.mutation_cost
        )
        ceiling = min(limits.max_cost, guard.buckets.size)
        if cost > ceiling:
            self.state = await guard.buckets.take(bucket_key(ctx.context.principal), 1)
            self.charged = 1 if self.state.allowed else 0
            ctx.result = _refusal(
                limit_error(
                    f"The query costs {cost} points; at most {ceiling} are allowed. Ask for fewer items "
                    "(a smaller `first`) or fewer fields.",
                    "QUERY_TOO_COMPLEX",
                    cost=cost,
                    maxCost=ceiling,
                )
            )
        else:
            self.state = await guard.buckets.take(bucket_key(ctx.context.principal), cost)
            if self.state.allowed:
                self.charged = cost
            else:
                retry = self.state.seconds_until(cost)
                ctx.result = _refusal(
                    limit_error(
                        f"Rate limit reached: this query costs {cost} points and "
                        f"{int(self.state.available)} are left; try again in {retry} s.",
                        "THROTTLED",
                        retryAfter=retry,
                    )
                )
                response = getattr(ctx.context, "response", None)
                if response is not None:
                    response.status_code = 429
                    response.headers["Retry-After"] = str(retry)
        yield

    async def get_results(self) -> dict[str, Any]:  # type: ignore[override]
        ctx = self.execution_context
        guard = _guard(ctx)
        if guard is None:
            return {}
        if self.state is None:  # refused before execution, or a subscription
            self.state = await guard.buckets.take(bucket_key(ctx.context.principal), 1)
            self.charged = 1 if self.state.allowed else 0
        return {
            "cost": {
                "requestedQueryCost": self.requested,
                "actualQueryCost": self.charged,
                "throttleStatus": {
                    "maximumAvailable": self.state.size,
                    "currentlyAvailable": int(self.state.available),
                    "restoreRate": self.state.rate,
                },
            }
        }


def _refusal(error: GraphQLError) -> Any:
    from graphql import ExecutionResult

    return ExecutionResult(data=None, errors=[error])
